using System.Diagnostics;
using System.Net.Http.Headers;
using OfflineBearer.ClientAuthentication;
using OfflineBearer.Diagnostics;
using OfflineBearer.DPoP;
using OfflineBearer.Options;

namespace OfflineBearer.TokenEndpoint;

/// <summary>
/// Runs one client's requests at its token server: the form, the client's authentication (asked of its
/// <see cref="ClientAuthenticator"/>), a DPoP proof per try and the one resend for a new nonce, over the resilient
/// connection; every answer becomes a result or an <see cref="OfflineBearerException"/> that carries no credential.
/// Which grant to run is not decided here.
/// </summary>
internal sealed class TokenEndpointClient
{
    private readonly ClientContext _client;
    private readonly TokenServerConnection _connection;
    private readonly ClientAuthenticator _authenticator;
    private readonly TokenEndpointRefusal _refusal;

    public TokenEndpointClient(ClientContext client, TokenEndpointDiscovery discovery, TokenServerConnection connection, ClientAuthenticator authenticator, DPoPKeySource? dpopKeys)
    {
        _client = client;
        Discovery = discovery;
        _connection = connection;
        _authenticator = authenticator;
        DPoPKeys = dpopKeys;
        _refusal = new TokenEndpointRefusal(client, authenticator);
    }

    /// <summary>A client with neither a secret, a key nor a certificate to prove itself: it sends only its id and can only refresh.</summary>
    public bool IsPublicClient => _authenticator.IsPublicClient;

    /// <summary>The client's DPoP key when <see cref="OfflineBearerOptions.DPoP"/> is on: token requests carry its proofs.</summary>
    public DPoPKeySource? DPoPKeys { get; }

    /// <summary>The client whose requests these are.</summary>
    public ClientContext Client => _client;

    /// <summary>Where this client's endpoints come from.</summary>
    public TokenEndpointDiscovery Discovery { get; }

    /// <summary>Turns refusals into errors; for requests sent with <see cref="PostFormAsync"/>.</summary>
    public TokenEndpointRefusal Refusal => _refusal;

    /// <summary>
    /// The endpoint client of one named client, on the token endpoint's own <see cref="HttpClient"/>. A
    /// <paramref name="store"/> that can keep a DPoP key keeps the client's; <paramref name="dpopKeys"/>, when given, are
    /// the keys of the session before (reloaded options of the same client keep the key its tokens are bound to).
    /// </summary>
    public static TokenEndpointClient Create(
        ClientContext client, IHttpClientFactory httpClientFactory, IRefreshTokenStore? store = null, DPoPKeySource? dpopKeys = null)
    {
        var httpClientName = TokenEndpointHttpClient.Name(client.Name);
        var connection = new TokenServerConnection(client, () => httpClientFactory.CreateClient(httpClientName));
        return new TokenEndpointClient(
            client, new TokenEndpointDiscovery(client, connection), connection, new ClientAuthenticator(client), dpopKeys ?? DPoPKeySource.For(client, store));
    }

    /// <summary>Runs one grant at the token endpoint, measured and traced as one token request.</summary>
    public async Task<TokenResponse> RequestAsync(TokenGrant grant, CancellationToken cancellationToken)
    {
        using var activity = _client.Telemetry.StartTokenRequest(grant.Type);
        var started = _client.Time.GetTimestamp();
        try
        {
            var response = await SendGrantAsync(grant, activity, cancellationToken).ConfigureAwait(false);
            _client.Telemetry.TokenRequest(grant.Type, TokenOutcome.Success, _client.Time.GetElapsedTime(started));
            return response;
        }
        catch (Exception e)
        {
            var outcome = TokenOutcome.Of(e);
            _client.Telemetry.TokenRequest(grant.Type, outcome, _client.Time.GetElapsedTime(started));
            activity?.SetStatus(ActivityStatusCode.Error).SetTag("error.type", outcome);
            throw;
        }
    }

    private async Task<TokenResponse> SendGrantAsync(TokenGrant grant, Activity? activity, CancellationToken cancellationToken)
    {
        var endpoint = await Discovery.GetTokenEndpointAsync(cancellationToken).ConfigureAwait(false);
        var what = $"the {grant.Type} request";
        using var answer = await PostFormAsync(endpoint, grant.Form(_client.Options), what, grant.IsRepeatable, cancellationToken)
            .ConfigureAwait(false);
        activity?.SetTag("http.response.status_code", (int)answer.Status);
        var parsed = answer.Body is { } body ? TokenResponse.Parse(body, answer.IsSuccess) : null;
        if (parsed is { IsSuccess: true, IsDPoPBound: true } && DPoPKeys is null)
        {
            throw new OfflineBearerException(
                $"The token server answered the {grant.Type} request of OfflineBearer client '{_client.Name}' with a token whose \"token_type\" is \"DPoP\": " +
                "it is bound to a key this client does not have. Set DPoP to true, or have the server issue bearer tokens to this client.",
                error: null,
                errorDescription: null,
                answer.Status);
        }

        if (parsed is { IsSuccess: true })
        {
            return parsed;
        }

        throw _refusal.Of(answer, parsed, grant.Type, what, grant.Credential, grant.SecondCredential);
    }

    /// <summary>
    /// Posts a form with this client's authentication and, with DPoP, a proof per try; a <c>use_dpop_nonce</c> answer for
    /// a nonce other than the one this request's proof carried is sent once more, and so is a refusal of the client's
    /// credentials when they are read from a file or a provider that has something newer now (a rotation the server
    /// already knows). <paramref name="repeatable"/>: whether the form may be sent again after it may have reached the server.
    /// </summary>
    public async Task<TokenEndpointAnswer> PostFormAsync(
        Uri endpoint, List<KeyValuePair<string, string>> form, string what, bool repeatable, CancellationToken cancellationToken)
    {
        var proof = await _authenticator.ProveAsync(cancellationToken).ConfigureAwait(false);
        var answer = await PostWithProofAsync(endpoint, form, proof, what, repeatable, cancellationToken).ConfigureAwait(false);
        if (!_authenticator.ReadsCredential || !RefusesClient(answer))
        {
            return answer;
        }

        var now = await _authenticator.ProveAsync(cancellationToken).ConfigureAwait(false);
        if (now.Credential == proof.Credential)
        {
            return answer;
        }

        answer.Dispose();
        return await PostWithProofAsync(endpoint, form, now, what, repeatable, cancellationToken).ConfigureAwait(false);
    }

    private async Task<TokenEndpointAnswer> PostWithProofAsync(
        Uri endpoint, List<KeyValuePair<string, string>> form, ClientProof proof, string what, bool repeatable, CancellationToken cancellationToken)
    {
        form = [.. form, .. proof.Fields];
        var dpop = DPoPKeys is null ? null : await DPoPKeys.GetAsync(cancellationToken).ConfigureAwait(false);
        var audience = _authenticator.SignsAssertions ? await AssertionAudienceAsync(endpoint, cancellationToken).ConfigureAwait(false) : null;
        var (answer, sentNonce) = await SendOnceAsync(endpoint, form, proof.Header, audience, dpop, what, repeatable, cancellationToken).ConfigureAwait(false);
        var nonce = dpop?.RememberNonce(endpoint, answer.DPoPNonce);
        if (nonce is null || nonce == sentNonce || !AsksForDPoPNonce(answer))
        {
            return answer;
        }

        // RFC 9449 8: the server wants a nonce other than the one this request's proof carried, whether or not another
        // request learned it first. Once: a server that asks again has another problem.
        answer.Dispose();
        (answer, _) = await SendOnceAsync(endpoint, form, proof.Header, audience, dpop, what, repeatable, cancellationToken).ConfigureAwait(false);
        dpop!.RememberNonce(endpoint, answer.DPoPNonce);
        return answer;
    }

    /// <summary>Whether the server refused the client's credentials (RFC 6749 5.2: <c>invalid_client</c>, 400 or 401).</summary>
    private static bool RefusesClient(TokenEndpointAnswer answer) => TokenEndpointRefusal.Parse(answer)?.Error == "invalid_client";

    /// <summary>RFC 9449 8 says 400; whatever the status, a server naming this error wants its nonce, and it gets one retry.</summary>
    private static bool AsksForDPoPNonce(TokenEndpointAnswer answer) => TokenEndpointRefusal.Parse(answer)?.Error == "use_dpop_nonce";

    /// <returns>The answer, and the nonce carried by the DPoP proof of the last try (the one answered).</returns>
    private async Task<(TokenEndpointAnswer Answer, string? SentNonce)> SendOnceAsync(
        Uri endpoint, List<KeyValuePair<string, string>> form, AuthenticationHeaderValue? header, string? audience, DPoPProofs? dpop, string what, bool repeatable, CancellationToken cancellationToken)
    {
        string? sentNonce = null;
        var answer = await _connection.SendAsync(
            () =>
            {
                var content = audience is null ? form : [.. form, .. _authenticator.AssertionFields(audience)];
                var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new FormUrlEncodedContent(content) };
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                request.Headers.Authorization = header;
                if (dpop is not null)
                {
                    // Each try gets a new proof, with the nonce known by then.
                    var proof = dpop.Create(HttpMethod.Post, endpoint, accessTokenHash: null);
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
        if (string.IsNullOrWhiteSpace(_client.Options.Authority))
        {
            return endpoint.AbsoluteUri;
        }

        var metadata = await Discovery.GetMetadataAsync(cancellationToken).ConfigureAwait(false);
        return metadata.Issuer ?? _client.Options.Authority;
    }
}
