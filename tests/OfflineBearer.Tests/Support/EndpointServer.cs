using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OfflineBearer.ClientAuthentication;
using OfflineBearer.Diagnostics;
using OfflineBearer.DPoP;
using OfflineBearer.Options;
using OfflineBearer.Refresh;
using OfflineBearer.TokenEndpoint;
using RichardSzalay.MockHttp;

namespace OfflineBearer.Tests.Support;

/// <summary>
/// A token server behind MockHttp with a discovery document, and the endpoint client of one client against it, as the
/// offline-token tool builds it: for the requests a service never makes (device authorization, revocation, the grants
/// of a login), driven directly rather than through a handler.
/// </summary>
internal sealed class EndpointServer : IDisposable
{
    public const string Authority = "https://sso.test/realms/prod";
    public const string ClientName = "inventory";
    public const string ClientId = "inventory-cli";
    public const string ClientSecret = "cli s3cret/+";
    public static readonly Uri TokenEndpoint = new("https://sso.test/realms/prod/protocol/openid-connect/token");
    public static readonly Uri DeviceEndpoint = new("https://sso.test/realms/prod/protocol/openid-connect/auth/device");
    public static readonly Uri RevocationEndpoint = new("https://sso.test/realms/prod/protocol/openid-connect/revoke");
    public static readonly Uri AuthorizationEndpoint = new("https://sso.test/realms/prod/protocol/openid-connect/auth");

    private readonly MockHttpMessageHandler _server = new();

    public EndpointServer()
    {
        Discovery = new Dictionary<string, object>
        {
            ["issuer"] = Authority,
            ["token_endpoint"] = TokenEndpoint.AbsoluteUri,
            ["authorization_endpoint"] = AuthorizationEndpoint.AbsoluteUri,
            ["device_authorization_endpoint"] = DeviceEndpoint.AbsoluteUri,
            ["revocation_endpoint"] = RevocationEndpoint.AbsoluteUri,
        };
        _server.When("*").Respond(async request =>
        {
            var recorded = await RecordedRequest.ReadAsync(request);
            Requests.Enqueue(recorded);
            if (recorded.Uri.AbsolutePath.EndsWith("/.well-known/openid-configuration", StringComparison.Ordinal))
            {
                return Harness.Json(System.Text.Json.JsonSerializer.Serialize(Discovery));
            }

            return await OnRequest(recorded);
        });
    }

    /// <summary>The discovery document's fields; a test removes or changes them before the first request.</summary>
    public Dictionary<string, object> Discovery { get; }

    /// <summary>Answers every request but discovery; the default is 200 with an empty body.</summary>
    public Func<RecordedRequest, Task<HttpResponseMessage>> OnRequest { get; set; } = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>The requests that were not discovery.</summary>
    public IReadOnlyList<RecordedRequest> Calls =>
        [.. Requests.Where(r => !r.Uri.AbsolutePath.EndsWith("/.well-known/openid-configuration", StringComparison.Ordinal))];

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    /// <summary>A confidential client with Basic authentication, found by discovery, no retries (they would wait on the fake clock).</summary>
    public static OfflineBearerOptions Options(Action<OfflineBearerOptions>? configure = null)
    {
        var options = new OfflineBearerOptions
        {
            Authority = Authority,
            ClientId = ClientId,
            ClientSecret = ClientSecret,
            TokenRequestRetries = 0,
        };
        configure?.Invoke(options);
        return options;
    }

    public TokenEndpointClient Client(Action<OfflineBearerOptions>? configure = null)
    {
        var client = new ClientContext(ClientName, Options(configure), Time, NullLogger.Instance, new ClientTelemetry(ClientName, metrics: null));
        var connection = new TokenServerConnection(client, () => new HttpClient(_server, disposeHandler: false));
        return new TokenEndpointClient(
            client, new TokenEndpointDiscovery(client, connection), connection, new ClientAuthenticator(client), DPoPKeySource.For(client, store: null));
    }

    /// <summary>The grant decision of <see cref="Client"/>.</summary>
    public Redeemer Redeemer(Action<OfflineBearerOptions>? configure = null) => new(Client(configure));

    public void Dispose() => _server.Dispose();

    public static HttpResponseMessage Error(string error, string description, HttpStatusCode status = HttpStatusCode.BadRequest) =>
        Harness.Json(TokenJson.Error(error, description), status);
}
