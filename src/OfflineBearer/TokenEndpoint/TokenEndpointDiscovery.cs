using System.Text.Json;
using OfflineBearer.ClientAuthentication;
using OfflineBearer.Diagnostics;
using OfflineBearer.Options;

namespace OfflineBearer.TokenEndpoint;

/// <summary>
/// Finds a client's endpoints: the configured <see cref="OfflineBearerOptions.TokenEndpoint"/>, else those of
/// <c>{Authority}/.well-known/openid-configuration</c>, asked once and cached; for a client with a certificate, the
/// server's <c>mtls_endpoint_aliases</c> where it names them (RFC 8705 5). A failed discovery is forgotten, so the next
/// token request asks again.
/// </summary>
internal sealed class TokenEndpointDiscovery
{
    private readonly string _clientName;
    private readonly OfflineBearerOptions _options;
    private readonly TokenServerConnection _connection;
    private readonly Lock _gate = new();
    private Task<ServerMetadata>? _metadata;

    public TokenEndpointDiscovery(ClientContext client, TokenServerConnection connection)
    {
        _clientName = client.Name;
        _options = client.Options;
        var options = client.Options;
        _connection = connection;
        if (options.TokenEndpoint is { } endpoint)
        {
            _metadata = Task.FromResult(new ServerMetadata(endpoint));
        }
    }

    public async Task<Uri> GetTokenEndpointAsync(CancellationToken cancellationToken) =>
        (await GetMetadataAsync(cancellationToken).ConfigureAwait(false)).TokenEndpoint;

    public Task<ServerMetadata> GetMetadataAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_metadata is null || _metadata.IsFaulted || _metadata.IsCanceled)
            {
                _metadata = DiscoverAsync(cancellationToken);
            }

            return _metadata;
        }
    }

    /// <summary>
    /// The endpoint <paramref name="pick"/> chooses, or an <see cref="OfflineBearerException"/> when the server names none
    /// or names a plain http one while RequireHttps is on.
    /// </summary>
    public async Task<Uri> GetEndpointAsync(Func<ServerMetadata, Uri?> pick, string field, CancellationToken cancellationToken)
    {
        var metadata = await GetMetadataAsync(cancellationToken).ConfigureAwait(false);
        var endpoint = pick(metadata) ?? throw new OfflineBearerException(
            $"The token server of OfflineBearer client '{_clientName}' names no \"{field}\" in its discovery document" +
            (_options.TokenEndpoint is null ? "." : " (TokenEndpoint is set, so discovery was not asked)."));
        if (_options.RequireHttps && !Transport.IsAllowed(endpoint))
        {
            throw new OfflineBearerException(
                $"Discovery for OfflineBearer client '{_clientName}' names a plain http {field} ({endpoint}) and RequireHttps is on.");
        }

        return endpoint;
    }

    private async Task<ServerMetadata> DiscoverAsync(CancellationToken cancellationToken)
    {
        var address = new Uri(_options.Authority!.TrimEnd('/') + "/.well-known/openid-configuration");
        using var activity = OfflineBearerActivitySource.Instance.StartActivity("offlinebearer.discovery");
        activity?.SetTag(OfflineBearerMetrics.ClientTag, _clientName).SetTag("server.address", address.Host);

        using var answer = await _connection.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, address), "discovery", repeatable: true, cancellationToken)
            .ConfigureAwait(false);
        var metadata = answer is { IsSuccess: true, Body: { } body } ? Read(body, ClientCertificateFile.IsConfigured(_options)) : null;
        if (metadata is null)
        {
            throw new OfflineBearerException(
                $"Discovery for OfflineBearer client '{_clientName}' at {address} answered HTTP {(int)answer.Status} without a usable " +
                "\"token_endpoint\". Check Authority (for Keycloak: https://host/realms/REALM, or with /auth before /realms on old servers), or set TokenEndpoint.",
                error: null,
                errorDescription: null,
                answer.Status);
        }

        if (_options.RequireHttps && !Transport.IsAllowed(metadata.TokenEndpoint))
        {
            throw new OfflineBearerException(
                $"Discovery for OfflineBearer client '{_clientName}' names a plain http token endpoint ({metadata.TokenEndpoint}) and RequireHttps is on.");
        }

        return metadata;
    }

    /// <summary>
    /// The endpoints, or null when the document is not an object with a usable <c>token_endpoint</c>. With
    /// <paramref name="mutualTls"/>, an endpoint's alias wins: a server may ask for client certificates only there.
    /// </summary>
    private static ServerMetadata? Read(ReadOnlyMemory<byte> body, bool mutualTls)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || ReadEndpoint(root, "token_endpoint") is null)
            {
                return null;
            }

            var aliases = mutualTls && root.TryGetProperty("mtls_endpoint_aliases", out var found) && found.ValueKind == JsonValueKind.Object
                ? found
                : default;
            Uri? Endpoint(string name) => (aliases.ValueKind == JsonValueKind.Object ? ReadEndpoint(aliases, name) : null) ?? ReadEndpoint(root, name);

            return new ServerMetadata(
                Endpoint("token_endpoint")!,
                ReadEndpoint(root, "authorization_endpoint"),
                Endpoint("device_authorization_endpoint"),
                Endpoint("revocation_endpoint"),
                root.TryGetProperty("issuer", out var issuer) && issuer.ValueKind == JsonValueKind.String ? issuer.GetString() : null);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON, or a string that is not valid UTF-8.
            return null;
        }
    }

    private static Uri? ReadEndpoint(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.String
        && Uri.TryCreate(value.GetString(), UriKind.Absolute, out var endpoint)
        && (endpoint.Scheme == Uri.UriSchemeHttps || endpoint.Scheme == Uri.UriSchemeHttp)
            ? endpoint
            : null;
}
