using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging;
using OfflineBearer.ClientAuthentication;
using OfflineBearer.Diagnostics;
using OfflineBearer.DPoP;
using OfflineBearer.Stores;

namespace OfflineBearer.TokenEndpoint;

/// <summary>
/// Runs the requests of one client at its token server (grants, device authorization, revocation) with the configured
/// client authentication, and turns every answer into a result or an <see cref="OfflineBearerException"/> that carries
/// no credential.
/// </summary>
internal sealed class TokenEndpointClient
{
    private const string ClientAssertionTypeField = "client_assertion_type";
    private const string ClientAssertionField = "client_assertion";
    private const string JwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    private readonly string _clientName;
    private readonly OfflineBearerOptions _options;
    private readonly TokenEndpointDiscovery _discovery;
    private readonly TokenServerConnection _connection;
    private readonly ILogger _logger;
    private readonly ClientTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly AuthenticationHeaderValue? _basicCredentials;
    private readonly ClientSigningKey? _signingKey;
    private readonly FileRefreshTokenStore? _dpopKeyStore;
    private readonly Lock _dpopGate = new();
    private DPoPProofs? _dpop;
    private Task<DPoPProofs>? _dpopLoad;

    public TokenEndpointClient(
        string clientName,
        OfflineBearerOptions options,
        TokenEndpointDiscovery discovery,
        TokenServerConnection connection,
        ILogger logger,
        ClientTelemetry telemetry,
        TimeProvider time,
        IRefreshTokenStore? store = null)
    {
        _clientName = clientName;
        _telemetry = telemetry;
        _time = time;
        _options = options;
        _discovery = discovery;
        _connection = connection;
        _logger = logger;
        if (options.DPoP && string.IsNullOrWhiteSpace(options.DPoPKeyPath) && store is FileRefreshTokenStore fileStore)
        {
            // Read or made at the first token request: file access belongs on the async path.
            _dpopKeyStore = fileStore;
        }
        else if (options.DPoP)
        {
            _dpop = DPoPProofs.Create(clientName, options, time);
        }

        if (options.ClientAuthentication == ClientAuthenticationMethod.PrivateKeyJwt)
        {
            _signingKey = ClientSigningKey.Load(clientName, options);
        }
        else if (!IsPublicClient && options.ClientAuthentication == ClientAuthenticationMethod.ClientSecretBasic)
        {
            _basicCredentials = BasicCredentials(options.ClientId!, options.ClientSecret!);
        }
    }

    /// <summary>A client with neither a secret, a key nor a certificate to prove itself: it sends only its id and can only refresh.</summary>
    public bool IsPublicClient => _signingKey is null && !ClientCertificateFile.Authenticates(_options) && string.IsNullOrEmpty(_options.ClientSecret);

    /// <summary>
    /// The client's DPoP key when <see cref="OfflineBearerOptions.DPoP"/> is on: token requests carry its proofs. A key kept
    /// in the file store is there from the first token request on.
    /// </summary>
    public DPoPProofs? DPoP => _dpop;

    /// <summary>Where this client's endpoints come from.</summary>
    public TokenEndpointDiscovery Discovery => _discovery;

    /// <summary>
    /// The endpoint client of one named client, on the token endpoint's own <see cref="HttpClient"/>. A file
    /// <paramref name="store"/> also keeps the client's DPoP key.
    /// </summary>
    public static TokenEndpointClient Create(
        string clientName,
        OfflineBearerOptions options,
        IHttpClientFactory httpClientFactory,
        TimeProvider time,
        ILogger logger,
        ClientTelemetry telemetry,
        IRefreshTokenStore? store = null)
    {
        var httpClientName = TokenEndpointHttpClient.Name(clientName);
        var connection = new TokenServerConnection(clientName, options, () => httpClientFactory.CreateClient(httpClientName), time, logger, telemetry);
        return new TokenEndpointClient(clientName, options, new TokenEndpointDiscovery(clientName, options, connection), connection, logger, telemetry, time, store);
    }

    /// <summary>
    /// With a refresh token, the refresh grant; without one, client_credentials. When the server refuses the refresh
    /// token (<c>invalid_grant</c>), a confidential client starts a new session with client_credentials: once, right now.
    /// A public client without a refresh token has no grant to run and says how to get one.
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
        else if (IsPublicClient)
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{_clientName}' is a public client (no ClientSecret) and has no refresh token: neither " +
                $"RefreshToken nor its store holds one. Get an offline token with 'offline-token login --store DIR --client {_clientName}'.");
        }

        return (await RequestAsync(refreshToken: null, cancellationToken).ConfigureAwait(false), GrantTypes.ClientCredentials);
    }

    /// <summary>Runs <c>refresh_token</c> when <paramref name="refreshToken"/> is given, else <c>client_credentials</c>.</summary>
    public Task<TokenResponse> RequestAsync(string? refreshToken, CancellationToken cancellationToken) =>
        RequestAsync(refreshToken is null ? TokenGrant.ClientCredentials(_options.Scope) : TokenGrant.Refresh(refreshToken), cancellationToken);

    /// <summary>Runs one grant at the token endpoint, measured and traced as one token request.</summary>
    public async Task<TokenResponse> RequestAsync(TokenGrant grant, CancellationToken cancellationToken)
    {
        using var activity = _telemetry.StartTokenRequest(grant.Type);
        var started = _time.GetTimestamp();
        try
        {
            var response = await SendGrantAsync(grant, activity, cancellationToken).ConfigureAwait(false);
            _telemetry.TokenRequest(grant.Type, TokenOutcome.Success, _time.GetElapsedTime(started));
            return response;
        }
        catch (Exception e)
        {
            var outcome = TokenOutcome.Of(e);
            _telemetry.TokenRequest(grant.Type, outcome, _time.GetElapsedTime(started));
            activity?.SetStatus(ActivityStatusCode.Error).SetTag("error.type", outcome);
            throw;
        }
    }

    private async Task<TokenResponse> SendGrantAsync(TokenGrant grant, Activity? activity, CancellationToken cancellationToken)
    {
        var endpoint = await _discovery.GetTokenEndpointAsync(cancellationToken).ConfigureAwait(false);
        var what = $"the {grant.Type} request";
        using var answer = await SendFormAsync(endpoint, [new("grant_type", grant.Type), .. grant.Fields], what, grant.IsRepeatable, cancellationToken)
            .ConfigureAwait(false);
        activity?.SetTag("http.response.status_code", (int)answer.Status);
        var parsed = answer.Body is { } body ? TokenResponse.Parse(body, answer.IsSuccess) : null;
        if (parsed is { IsSuccess: true, IsDPoPBound: true } && _dpop is null)
        {
            throw new OfflineBearerException(
                $"The token server answered the {grant.Type} request of OfflineBearer client '{_clientName}' with a token whose \"token_type\" is \"DPoP\": " +
                "it is bound to a key this client does not have. Set DPoP to true, or have the server issue bearer tokens to this client.",
                error: null,
                errorDescription: null,
                answer.Status);
        }

        if (parsed is { IsSuccess: true })
        {
            return parsed;
        }

        throw Refusal(answer, parsed, grant.Type, what, grant.Credential, grant.SecondCredential);
    }

    /// <summary>RFC 8628 3.1: asks the device authorization endpoint for a device code and a user code.</summary>
    public async Task<DeviceAuthorization> RequestDeviceAuthorizationAsync(CancellationToken cancellationToken)
    {
        var endpoint = await _discovery.GetEndpointAsync(static m => m.DeviceAuthorizationEndpoint, "device_authorization_endpoint", cancellationToken)
            .ConfigureAwait(false);
        List<KeyValuePair<string, string>> form = string.IsNullOrWhiteSpace(_options.Scope) ? [] : [new("scope", _options.Scope)];
        const string what = "the device authorization request";

        // Nothing is spent by asking twice: a lost answer only leaves an unused device code behind.
        using var answer = await SendFormAsync(endpoint, form, what, repeatable: true, cancellationToken).ConfigureAwait(false);
        if (answer is { IsSuccess: true, Body: { } body } && DeviceAuthorization.Parse(body) is { } authorization)
        {
            return authorization;
        }

        throw Refusal(answer, ParseRefusal(answer), "device authorization", what);
    }

    /// <summary>
    /// RFC 7009: revokes <paramref name="token"/> at the revocation endpoint. A token the server no longer knows counts as
    /// revoked (the server answers 200, as the RFC says it must).
    /// </summary>
    public async Task RevokeAsync(string token, string tokenTypeHint, CancellationToken cancellationToken)
    {
        var endpoint = await _discovery.GetEndpointAsync(static m => m.RevocationEndpoint, "revocation_endpoint", cancellationToken)
            .ConfigureAwait(false);
        const string what = "the revocation request";

        // Revoking twice is harmless, so a revocation that may have been lost is sent again.
        using var answer = await SendFormAsync(endpoint, [new("token", token), new("token_type_hint", tokenTypeHint)], what, repeatable: true, cancellationToken)
            .ConfigureAwait(false);
        if (!answer.IsSuccess)
        {
            throw Refusal(answer, ParseRefusal(answer), "revocation", what, token);
        }
    }

    /// <summary>RFC 6749 section 2.3.1: id and secret are form-url-encoded before they are joined and base64-encoded.</summary>
    internal static AuthenticationHeaderValue BasicCredentials(string clientId, string clientSecret)
    {
        var pair = $"{FormUrl.Encode(clientId)}:{FormUrl.Encode(clientSecret)}";
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
    }

    /// <summary>
    /// Posts a form with this client's authentication: the Basic header, the id (and secret) in the form, the id and a
    /// client assertion signed for this try alone (a server may refuse an assertion's <c>jti</c> a second time), or the id
    /// alone when the certificate in the TLS handshake proves the client.
    /// </summary>
    private async Task<TokenEndpointAnswer> SendFormAsync(
        Uri endpoint, List<KeyValuePair<string, string>> form, string what, bool repeatable, CancellationToken cancellationToken)
    {
        if (_basicCredentials is null)
        {
            form.Add(new("client_id", _options.ClientId!));
            if (_signingKey is null && !ClientCertificateFile.Authenticates(_options) && !IsPublicClient)
            {
                form.Add(new("client_secret", _options.ClientSecret!));
            }
        }

        if (_dpop is null && _dpopKeyStore is not null)
        {
            await LoadDPoPKeyAsync(cancellationToken).ConfigureAwait(false);
        }

        var audience = _signingKey is null ? null : await AssertionAudienceAsync(endpoint, cancellationToken).ConfigureAwait(false);
        var (answer, sentNonce) = await SendOnceAsync(endpoint, form, audience, what, repeatable, cancellationToken).ConfigureAwait(false);
        var nonce = _dpop?.RememberNonce(endpoint, answer.DPoPNonce);
        if (nonce is null || nonce == sentNonce || !AsksForDPoPNonce(answer))
        {
            return answer;
        }

        // RFC 9449 8: the server wants a nonce other than the one this request's proof carried, whether or not another
        // request learned it first. Once: a server that asks again has another problem.
        answer.Dispose();
        (answer, _) = await SendOnceAsync(endpoint, form, audience, what, repeatable, cancellationToken).ConfigureAwait(false);
        _dpop!.RememberNonce(endpoint, answer.DPoPNonce);
        return answer;
    }

    /// <summary>One load for concurrent first requests (the tool's and the holder's); a failed one is tried again next time.</summary>
    private Task<DPoPProofs> LoadDPoPKeyAsync(CancellationToken cancellationToken)
    {
        lock (_dpopGate)
        {
            if (_dpopLoad is null || _dpopLoad.IsFaulted || _dpopLoad.IsCanceled)
            {
                _dpopLoad = LoadAsync();
            }

            return _dpopLoad;
        }

        async Task<DPoPProofs> LoadAsync() =>
            _dpop = await DPoPProofs.KeptInAsync(_clientName, _dpopKeyStore!, _time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>RFC 9449 8 says 400; whatever the status, a server naming this error wants its nonce, and it gets one retry.</summary>
    private static bool AsksForDPoPNonce(TokenEndpointAnswer answer) =>
        answer.Body is { } body && TokenResponse.Parse(body, success: false).Error == "use_dpop_nonce";

    /// <returns>The answer, and the nonce carried by the DPoP proof of the last try (the one answered).</returns>
    private async Task<(TokenEndpointAnswer Answer, string? SentNonce)> SendOnceAsync(
        Uri endpoint, List<KeyValuePair<string, string>> form, string? audience, string what, bool repeatable, CancellationToken cancellationToken)
    {
        string? sentNonce = null;
        var answer = await _connection.SendAsync(
            () =>
            {
                var content = audience is null
                    ? form
                    : [.. form, new(ClientAssertionTypeField, JwtBearerAssertionType), new(ClientAssertionField, _signingKey!.CreateAssertion(_options.ClientId!, audience, _time.GetUtcNow()))];
                var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new FormUrlEncodedContent(content) };
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                request.Headers.Authorization = _basicCredentials;
                if (_dpop is not null)
                {
                    // Each try gets a new proof, with the nonce known by then.
                    var proof = _dpop.Create(HttpMethod.Post, endpoint, accessTokenHash: null);
                    request.Headers.TryAddWithoutValidation(DPoPProofs.ProofHeader, proof.Jwt);
                    sentNonce = proof.Nonce;
                }

                return request;
            },
            what,
            repeatable,
            cancellationToken).ConfigureAwait(false);
        return (answer, sentNonce);
    }

    /// <summary>
    /// The assertion's <c>aud</c>: the issuer as discovery names it (what OpenIddict requires and Keycloak accepts), or
    /// the token endpoint where the client knows no issuer (only TokenEndpoint set; Keycloak accepts it too).
    /// </summary>
    private async Task<string> AssertionAudienceAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(_options.Authority))
        {
            return endpoint.AbsoluteUri;
        }

        var metadata = await _discovery.GetMetadataAsync(cancellationToken).ConfigureAwait(false);
        return metadata.Issuer ?? _options.Authority;
    }

    /// <summary>The OAuth error of an answer that is not a token response, if it carries one.</summary>
    private static TokenResponse? ParseRefusal(TokenEndpointAnswer answer) =>
        answer.Body is { } body && TokenResponse.Parse(body, success: false) is { Error: not null } refusal ? refusal : null;

    /// <summary>An OAuth error with advice, or a description of an answer that was not one; never a credential in either.</summary>
    private OfflineBearerException Refusal(
        TokenEndpointAnswer answer, TokenResponse? parsed, string request, string what, params ReadOnlySpan<string?> credentials)
    {
        if (parsed is { Error: { } error })
        {
            error = Clean(error, credentials)!;
            return new OfflineBearerException(
                DescribeOAuthError(request, error, (int)answer.Status),
                error,
                Clean(parsed.ErrorDescription, credentials),
                answer.Status);
        }

        var why = parsed?.Problem ?? (answer.MediaType is null or "application/json" ? "no usable body" : "the body is not JSON");
        return new OfflineBearerException(
            $"The token server of OfflineBearer client '{_clientName}' answered {what} with HTTP {(int)answer.Status} " +
            $"({answer.MediaType ?? "no content type"}) and {why}. " +
            "A proxy or gateway page usually means the TokenEndpoint or Authority points at the wrong place.",
            error: null,
            errorDescription: null,
            answer.Status);
    }

    private string DescribeOAuthError(string request, string error, int status)
    {
        var advice = error switch
        {
            "invalid_client" or "unauthorized_client" when _signingKey is { } key =>
                $"The server does not accept this client's signed JWT: check ClientId, that the client is set to authenticate with a signed JWT and that the server holds the public key of SigningKey (kid {key.KeyId}, {key.Algorithm}).",
            "invalid_client" or "unauthorized_client" when ClientCertificateFile.Authenticates(_options) =>
                $"The server does not accept this client's certificate: check ClientId, that the client is set to authenticate with {(_options.ClientAuthentication == ClientAuthenticationMethod.TlsClientAuth ? "a CA-issued certificate (tls_client_auth) and the subject it expects" : "its registered self-signed certificate (self_signed_tls_client_auth)")}, that the token endpoint is https and asks for client certificates, and that ClientCertificatePath or ClientCertificate is the certificate the server holds.",
            "invalid_client" or "unauthorized_client" =>
                "The server does not accept this client's credentials: check ClientId, ClientSecret and ClientAuthentication.",
            "invalid_grant" when request == GrantTypes.RefreshToken && _options.DPoP =>
                "The offline token is no longer valid (revoked, idle too long, or rotated away), or it is bound to a DPoP key this client no longer has (keep the key with DPoPKeyPath or the file store); obtain a new one.",
            "invalid_grant" when request == GrantTypes.RefreshToken =>
                "The offline token is no longer valid (revoked, idle too long, or rotated away); obtain a new one.",
            "invalid_grant" when request == GrantTypes.AuthorizationCode =>
                "The authorization code was refused: used already, expired, issued for another redirect URI, or its PKCE verifier does not match.",
            "invalid_scope" => "The server refused the requested Scope.",
            "not_allowed" => "The server does not allow offline tokens for this client or account (the offline_access role is missing).",
            "access_denied" => "The user or the server denied the request.",
            "expired_token" => "The device code expired before the user approved it; start again.",
            _ => "See ErrorDescription for the server's reason.",
        };
        return $"The token server refused the {request} request of OfflineBearer client '{_clientName}' with HTTP {status} '{error}'. {advice}";
    }

    /// <summary>
    /// A server may echo what it was sent: no spelling of the secret, the grant's credentials or the Basic credential
    /// leaves through us (nor of <c>id:secret</c> unencoded, which a server that decodes the Basic credential may echo).
    /// </summary>
    private string? Clean(string? text, ReadOnlySpan<string?> credentials) => Redaction.Clean(
        text,
        [.. credentials, _options.ClientSecret, _basicCredentials?.Parameter, string.IsNullOrEmpty(_options.ClientSecret) ? null : $"{_options.ClientId}:{_options.ClientSecret}"]);
}
