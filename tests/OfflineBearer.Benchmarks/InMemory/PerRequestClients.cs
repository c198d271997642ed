using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Benchmarks.Peers;

namespace OfflineBearer.Benchmarks.InMemory;

/// <summary>
/// The named clients the per-request benchmarks compare, built by one <see cref="ServiceCollection"/>: each row is the
/// handler chain <see cref="IHttpMessageHandlerFactory"/> builds for its name, with the same <see cref="CachedOkApi"/> as
/// primary handler, sent through an <see cref="HttpMessageInvoker"/>. The factory's logging handlers are removed and
/// <see cref="HttpClient"/>'s own per-request work (its timeout's timer, about 0.8 µs here) is left out, so the rows differ
/// only in the one handler under test and nothing shared dilutes the ratio between them.
/// Each bearer client holds a fresh token before the first measured request.
/// </summary>
internal sealed class PerRequestClients : IDisposable
{
    public const string NoHandler = "no-handler";
    public const string ConstantHeader = "constant-header";
    public const string OfflineBearer = "offlinebearer";
    public const string OfflineBearerDPoP = "offlinebearer-dpop";
    public const string OidcClient = "oidcclient";

    public static readonly Uri Api = new("https://api.test/items");

    private readonly ServiceProvider _services;
    private readonly Dictionary<string, HttpMessageInvoker> _clients;

    private PerRequestClients(ServiceProvider services)
    {
        _services = services;
        var factory = services.GetRequiredService<IHttpMessageHandlerFactory>();
        _clients = new[] { NoHandler, ConstantHeader, OfflineBearer, OfflineBearerDPoP, OidcClient }
            .ToDictionary(name => name, name => new HttpMessageInvoker(factory.CreateHandler(name), disposeHandler: false), StringComparer.Ordinal);
    }

    public HttpMessageInvoker this[string name] => _clients[name];

    public static async Task<PerRequestClients> CreateAsync()
    {
        var services = new ServiceCollection();
        services.ConfigureHttpClientDefaults(client => client.RemoveAllLoggers());
        services.AddHttpClient(NoHandler)
            .ConfigurePrimaryHttpMessageHandler(() => new CachedOkApi());
        services.AddHttpClient(ConstantHeader)
            .AddHttpMessageHandler(() => new ConstantHeaderHandler())
            .ConfigurePrimaryHttpMessageHandler(() => new CachedOkApi());
        services.AddHttpClient(OfflineBearer)
            .AddOfflineBearerHandler(o =>
            {
                o.TokenEndpoint = new Uri("https://sso.test/token");
                o.ClientId = "bench";
                o.ClientSecret = "secret";
            })
            .ConfigurePrimaryHttpMessageHandler(() => new CachedOkApi());
        services.AddHttpClient(OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName(OfflineBearer))
            .ConfigurePrimaryHttpMessageHandler(() => new YearLongTokenEndpoint());
        services.AddHttpClient(OfflineBearerDPoP)
            .AddOfflineBearerHandler(o =>
            {
                o.TokenEndpoint = new Uri("https://sso.test/token");
                o.ClientId = "bench";
                o.ClientSecret = "secret";
                o.DPoP = true;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new CachedOkApi());
        services.AddHttpClient(OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName(OfflineBearerDPoP))
            .ConfigurePrimaryHttpMessageHandler(() => new YearLongTokenEndpoint("DPoP"));
        var oidcClient = new OidcClientPeer(new YearLongTokenEndpoint());
        services.AddHttpClient(OidcClient)
            .AddHttpMessageHandler(() => oidcClient.CreateHandler("opaque-year-long-token", "opaque-refresh-token"))
            .ConfigurePrimaryHttpMessageHandler(() => new CachedOkApi());

        var clients = new PerRequestClients(services.BuildServiceProvider());

        // OfflineBearer gets its token here; every client's first request (JIT, lazy state) is out of the measurement.
        foreach (var name in clients._clients.Keys)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Api);
            var response = await clients[name].SendAsync(request, CancellationToken.None);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"The warm-up request of client '{name}' was answered {(int)response.StatusCode}.");
            }
        }

        return clients;
    }

    /// <summary>One request through <paramref name="client"/>. The response is the API's shared one, never disposed.</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpMessageInvoker client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Api);
        return await client.SendAsync(request, CancellationToken.None);
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        _services.Dispose();
    }
}
