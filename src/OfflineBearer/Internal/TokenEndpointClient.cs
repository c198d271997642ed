using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging;
using OfflineBearer.Diagnostics;

namespace OfflineBearer.Internal;

/// <summary>
/// Runs the grants of one client at its token endpoint with the configured client authentication, and turns every
/// answer into a <see cref="TokenResponse"/> or an <see cref="OfflineBearerException"/> that carries no credential.
/// </summary>
internal sealed class TokenEndpointClient
{
    private readonly string _clientName;
    private readonly OfflineBearerOptions _options;
    private readonly TokenEndpointDiscovery _discovery;
    private readonly TokenServerConnection _connection;
    private readonly ILogger _logger;
    private readonly AuthenticationHeaderValue? _basicCredentials;

    public TokenEndpointClient(
        string clientName,
        OfflineBearerOptions options,
        TokenEndpointDiscovery discovery,
        TokenServerConnection connection,
        ILogger logger)
    {
        _clientName = clientName;
        _options = options;
        _discovery = discovery;
        _connection = connection;
        _logger = logger;
        if (!IsPublicClient && options.ClientAuthentication == ClientAuthenticationMethod.ClientSecretBasic)
        {
            _basicCredentials = BasicCredentials(options.ClientId!, options.ClientSecret!);
        }
    }

    public bool IsPublicClient => string.IsNullOrEmpty(_options.ClientSecret);

    /// <summary>
    /// With a refresh token, the refresh grant; without one, client_credentials. When the server refuses the refresh
    /// token (<c>invalid_grant</c>), a confidential client starts a new session with client_credentials: once, right now.
    /// </summary>
    /// <returns>The answer and the grant that got it.</returns>
    public async Task<(TokenResponse Response, string Grant)> RedeemAsync(string? refreshToken, CancellationToken cancellationToken)
    {
        if (refreshToken is not null)
        {
            try
            {
                return (await RequestAsync(refreshToken, cancellationToken).ConfigureAwait(false), GrantTypes.RefreshToken);
            }
            catch (OfflineBearerException e) when (e.Error == "invalid_grant" && !IsPublicClient)
            {
                Log.FallingBackToClientCredentials(_logger, _clientName, e.ErrorDescription);
            }
        }

        return (await RequestAsync(refreshToken: null, cancellationToken).ConfigureAwait(false), GrantTypes.ClientCredentials);
    }

    /// <summary>Runs one grant: <c>refresh_token</c> when <paramref name="refreshToken"/> is given, else <c>client_credentials</c>.</summary>
    public async Task<TokenResponse> RequestAsync(string? refreshToken, CancellationToken cancellationToken)
    {
        var grant = refreshToken is null ? GrantTypes.ClientCredentials : GrantTypes.RefreshToken;
        var endpoint = await _discovery.GetTokenEndpointAsync(cancellationToken).ConfigureAwait(false);

        var answer = await _connection.SendAsync(
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = BuildForm(grant, refreshToken) };
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                request.Headers.Authorization = _basicCredentials;
                return request;
            },
            $"the {grant} request",
            repeatable: refreshToken is null,
            cancellationToken).ConfigureAwait(false);
        var parsed = answer.Body is { } body ? TokenResponse.Parse(body, answer.IsSuccess) : null;

        if (parsed is { IsSuccess: true })
        {
            return parsed;
        }

        if (parsed is { Error: { } error })
        {
            error = Clean(error, refreshToken)!;
            throw new OfflineBearerException(
                DescribeOAuthError(grant, error, (int)answer.Status),
                error,
                Clean(parsed.ErrorDescription, refreshToken),
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

        if (_basicCredentials is null)
        {
            form.Add(new("client_id", _options.ClientId!));
        }

        if (!IsPublicClient && _basicCredentials is null)
        {
            form.Add(new("client_secret", _options.ClientSecret!));
        }

        return new FormUrlEncodedContent(form);
    }

    /// <summary>RFC 6749 section 2.3.1: id and secret are form-url-encoded before they are joined and base64-encoded.</summary>
    internal static AuthenticationHeaderValue BasicCredentials(string clientId, string clientSecret)
    {
        var pair = $"{FormUrl.Encode(clientId)}:{FormUrl.Encode(clientSecret)}";
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
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

    /// <summary>
    /// A server may echo what it was sent: no spelling of the secret, the refresh token or the Basic credential leaves
    /// through us (nor of <c>id:secret</c> unencoded, which a server that decodes the Basic credential may echo).
    /// </summary>
    private string? Clean(string? text, string? refreshToken) =>
        Redaction.Clean(text, refreshToken, _options.ClientSecret, _basicCredentials?.Parameter, IsPublicClient ? null : $"{_options.ClientId}:{_options.ClientSecret}");
}
