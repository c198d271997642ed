using System.Text.Json;

namespace OfflineBearer.Internal;

/// <summary>
/// Finds a client's token endpoint: the configured <see cref="OfflineBearerOptions.TokenEndpoint"/>, else the
/// <c>token_endpoint</c> of <c>{Authority}/.well-known/openid-configuration</c>, asked once and cached. A failed
/// discovery is forgotten, so the next token request asks again.
/// </summary>
internal sealed class TokenEndpointDiscovery
{
    private readonly string _clientName;
    private readonly OfflineBearerOptions _options;
    private readonly TokenServerConnection _connection;
    private readonly Lock _gate = new();
    private Task<Uri>? _tokenEndpoint;

    public TokenEndpointDiscovery(string clientName, OfflineBearerOptions options, TokenServerConnection connection)
    {
        _clientName = clientName;
        _options = options;
        _connection = connection;
        if (options.TokenEndpoint is { } endpoint)
        {
            _tokenEndpoint = Task.FromResult(endpoint);
        }
    }

    public Task<Uri> GetTokenEndpointAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_tokenEndpoint is null || _tokenEndpoint.IsFaulted || _tokenEndpoint.IsCanceled)
            {
                _tokenEndpoint = DiscoverAsync(cancellationToken);
            }

            return _tokenEndpoint;
        }
    }

    private async Task<Uri> DiscoverAsync(CancellationToken cancellationToken)
    {
        var address = new Uri(_options.Authority!.TrimEnd('/') + "/.well-known/openid-configuration");

        var answer = await _connection.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, address), "discovery", repeatable: true, cancellationToken)
            .ConfigureAwait(false);
        var endpoint = answer is { IsSuccess: true, Body: { } body } ? ReadTokenEndpoint(body) : null;
        if (endpoint is null)
        {
            throw new OfflineBearerException(
                $"Discovery for OfflineBearer client '{_clientName}' at {address} answered HTTP {(int)answer.Status} without a usable " +
                "\"token_endpoint\". Check Authority (for Keycloak: https://host/realms/REALM, or with /auth before /realms on old servers), or set TokenEndpoint.",
                error: null,
                errorDescription: null,
                answer.Status);
        }

        if (_options.RequireHttps && !Transport.IsAllowed(endpoint))
        {
            throw new OfflineBearerException(
                $"Discovery for OfflineBearer client '{_clientName}' names a plain http token endpoint ({endpoint}) and RequireHttps is on.");
        }

        return endpoint;
    }

    private static Uri? ReadTokenEndpoint(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("token_endpoint", out var value)
                && value.ValueKind == JsonValueKind.String
                && Uri.TryCreate(value.GetString(), UriKind.Absolute, out var endpoint)
                && (endpoint.Scheme == Uri.UriSchemeHttps || endpoint.Scheme == Uri.UriSchemeHttp)
                ? endpoint
                : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON, or a string that is not valid UTF-8.
            return null;
        }
    }
}
