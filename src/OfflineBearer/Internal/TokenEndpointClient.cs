using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Polly;
using Polly.Timeout;

namespace OfflineBearer.Internal;

/// <summary>
/// Talks to the token endpoint for one client: finds it (discovery, cached), sends a grant with the configured client
/// authentication, and turns every answer into a <see cref="TokenResponse"/> or an <see cref="OfflineBearerException"/>.
/// </summary>
internal sealed class TokenEndpointClient
{
    /// <summary>Token responses are small; a 100 KB JWT still fits, a runaway body does not.</summary>
    internal const int MaxBodyBytes = 256 * 1024;

    private readonly string _clientName;
    private readonly OfflineBearerOptions _options;
    private readonly Func<HttpClient> _createHttpClient;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<TokenEndpointAnswer> _resilience;
    private readonly ResiliencePipeline<TokenEndpointAnswer> _refreshResilience;
    private readonly Lock _discoveryGate = new();
    private Task<Uri>? _tokenEndpoint;

    public TokenEndpointClient(string clientName, OfflineBearerOptions options, Func<HttpClient> createHttpClient, TimeProvider time)
    {
        _clientName = clientName;
        _options = options;
        _createHttpClient = createHttpClient;
        _time = time;
        _resilience = TokenEndpointResilience.Create(options, time, repeatable: true);
        _refreshResilience = TokenEndpointResilience.Create(options, time, repeatable: false);
        if (options.TokenEndpoint is { } endpoint)
        {
            _tokenEndpoint = Task.FromResult(endpoint);
        }
    }

    public bool IsPublicClient => string.IsNullOrEmpty(_options.ClientSecret);

    /// <summary>Runs one grant: <c>refresh_token</c> when <paramref name="refreshToken"/> is given, else <c>client_credentials</c>.</summary>
    public async Task<TokenResponse> RequestAsync(string? refreshToken, CancellationToken cancellationToken)
    {
        var grant = refreshToken is null ? GrantTypes.ClientCredentials : GrantTypes.RefreshToken;
        var endpoint = await GetTokenEndpointAsync(cancellationToken).ConfigureAwait(false);

        var answer = await SendAsync(
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = BuildForm(grant, refreshToken) };
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                if (!IsPublicClient && _options.ClientAuthentication == ClientAuthenticationMethod.ClientSecretBasic)
                {
                    request.Headers.Authorization = BasicCredentials(_options.ClientId!, _options.ClientSecret!);
                }

                return request;
            },
            $"the {grant} request",
            refreshToken is null ? _resilience : _refreshResilience,
            cancellationToken).ConfigureAwait(false);
        var parsed = answer.Body is null ? null : TokenResponse.Parse(answer.Body, answer.IsSuccess);

        if (parsed is { IsSuccess: true })
        {
            return parsed;
        }

        if (parsed is { Error: { } error })
        {
            error = Redact(error, refreshToken)!;
            throw new OfflineBearerException(
                DescribeOAuthError(grant, error, (int)answer.Status),
                error,
                Redact(parsed.ErrorDescription, refreshToken),
                answer.Status);
        }

        var why = parsed?.Problem ?? (answer.MediaType is null or "application/json" ? "no usable body" : "the body is not JSON");
        throw new OfflineBearerException(
            $"The token endpoint of OfflineBearer client '{_clientName}' answered the {grant} request with HTTP {(int)answer.Status} " +
            $"({answer.MediaType ?? "no content type"}) and {why}. " +
            "A proxy or gateway page usually means the TokenEndpoint or Authority points at the wrong place.",
            error: null,
            errorDescription: null,
            answer.Status);
    }

    private FormUrlEncodedContent BuildForm(string grant, string? refreshToken)
    {
        var form = new List<KeyValuePair<string, string>>(4) { new("grant_type", grant) };
        if (refreshToken is not null)
        {
            form.Add(new("refresh_token", refreshToken));
        }
        else if (!string.IsNullOrWhiteSpace(_options.Scope))
        {
            form.Add(new("scope", _options.Scope));
        }

        if (IsPublicClient || _options.ClientAuthentication == ClientAuthenticationMethod.ClientSecretPost)
        {
            form.Add(new("client_id", _options.ClientId!));
        }

        if (!IsPublicClient && _options.ClientAuthentication == ClientAuthenticationMethod.ClientSecretPost)
        {
            form.Add(new("client_secret", _options.ClientSecret!));
        }

        return new FormUrlEncodedContent(form);
    }

    /// <summary>RFC 6749 section 2.3.1: id and secret are form-url-encoded before they are joined and base64-encoded.</summary>
    internal static AuthenticationHeaderValue BasicCredentials(string clientId, string clientSecret)
    {
        var pair = $"{FormUrlEncode(clientId)}:{FormUrlEncode(clientSecret)}";
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
    }

    // application/x-www-form-urlencoded: space is '+', as FormUrlEncodedContent writes it.
    private static string FormUrlEncode(string value) => Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal);

    private Task<Uri> GetTokenEndpointAsync(CancellationToken cancellationToken)
    {
        lock (_discoveryGate)
        {
            // A failed discovery is forgotten, so the next refresh asks again.
            if (_tokenEndpoint is null || _tokenEndpoint.IsFaulted || _tokenEndpoint.IsCanceled)
            {
                _tokenEndpoint = DiscoverAsync(cancellationToken);
            }

            return _tokenEndpoint;
        }
    }

    private async Task<Uri> DiscoverAsync(CancellationToken cancellationToken)
    {
        var authority = _options.Authority!.TrimEnd('/');
        var address = new Uri(authority + "/.well-known/openid-configuration");

        var answer = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, address), "discovery", _resilience, cancellationToken)
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

    private static Uri? ReadTokenEndpoint(byte[] body)
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

    /// <summary>Sends a fresh request per try through the resilience pipeline; faults become <see cref="OfflineBearerException"/>.</summary>
    private async Task<TokenEndpointAnswer> SendAsync(
        Func<HttpRequestMessage> createRequest,
        string what,
        ResiliencePipeline<TokenEndpointAnswer> resilience,
        CancellationToken cancellationToken)
    {
        try
        {
            return await resilience.ExecuteAsync(
                static async (state, token) =>
                {
                    using var request = state.createRequest();
                    using var response = await state.self._createHttpClient()
                        .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
                    var body = await ReadBodyAsync(response, token).ConfigureAwait(false);
                    return new TokenEndpointAnswer(
                        response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, state.self.ReadRetryAfter(response));
                },
                (self: this, createRequest),
                cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{_clientName}' could not reach the token server for {what} ({e.HttpRequestError}).",
                error: null,
                errorDescription: null,
                e.StatusCode,
                e);
        }
        catch (HttpIOException e)
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{_clientName}': the connection to the token server broke during {what} ({e.HttpRequestError}).",
                error: null,
                errorDescription: null,
                statusCode: null,
                e);
        }
        catch (Exception e) when (e is TimeoutRejectedException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{_clientName}': the token server did not answer {what} in time.",
                error: null,
                errorDescription: null,
                statusCode: null,
                e);
        }
    }

    private TimeSpan? ReadRetryAfter(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - _time.GetUtcNow(),
            _ => (TimeSpan?)null,
        };
        return retryAfter is { } wait && wait > TimeSpan.Zero ? wait : null;
    }

    /// <summary>The body, or null when it is not JSON or larger than <see cref="MaxBodyBytes"/> (read no further).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is not null && !mediaType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (response.Content.Headers.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[MaxBodyBytes + 1];
            var length = 0;
            int read;
            while (length < buffer.Length
                && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
            }

            return length > MaxBodyBytes || length == 0 ? null : buffer[..length];
        }
    }

    private string DescribeOAuthError(string grant, string error, int status)
    {
        var advice = error switch
        {
            "invalid_client" or "unauthorized_client" =>
                "The server does not accept this client's credentials: check ClientId, ClientSecret and ClientAuthentication.",
            "invalid_grant" when grant == GrantTypes.RefreshToken =>
                "The offline token is no longer valid (revoked, idle too long, or rotated away); obtain a new one.",
            "invalid_scope" => "The server refused the requested Scope.",
            "not_allowed" => "The server does not allow offline tokens for this client or account (the offline_access role is missing).",
            _ => "See ErrorDescription for the server's reason.",
        };
        return $"The token endpoint refused the {grant} request of OfflineBearer client '{_clientName}' with HTTP {status} '{error}'. {advice}";
    }

    /// <summary>A server may echo what it was sent; the secret and the refresh token never leave through us.</summary>
    private string? Redact(string? text, string? refreshToken)
    {
        if (text is null)
        {
            return null;
        }

        foreach (var secret in new[] { refreshToken, _options.ClientSecret })
        {
            if (!string.IsNullOrEmpty(secret))
            {
                text = text.Replace(secret, "[redacted]", StringComparison.Ordinal);
            }
        }

        return text;
    }
}
