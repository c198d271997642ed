using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.Tokens;

namespace OfflineBearer;

/// <summary>
/// Settings of one named <see cref="HttpClient"/> that calls a protected API with OfflineBearer.
/// Bound from configuration or set in code; validated when the host starts and, at the latest, on the first request.
/// </summary>
public sealed class OfflineBearerOptions
{
    /// <summary>
    /// The issuer URL, such as <c>https://sso.example.org/realms/prod</c>. The token endpoint is read once from
    /// <c>{Authority}/.well-known/openid-configuration</c> and cached.
    /// </summary>
    /// <value>The default is null; either this or <see cref="TokenEndpoint"/> is required.</value>
    public string? Authority { get; set; }

    /// <summary>The token endpoint; when set it wins over discovery from <see cref="Authority"/>.</summary>
    /// <value>The default is null.</value>
    public Uri? TokenEndpoint { get; set; }

    /// <summary>The OAuth client id. A refresh token must be used with the client that obtained it.</summary>
    /// <value>The default is null; it is required.</value>
    [Required(ErrorMessage = "ClientId is required.")]
    public string? ClientId { get; set; }

    /// <summary>The client secret of a confidential client; null for a public client, which then needs <see cref="RefreshToken"/>.</summary>
    /// <value>The default is null.</value>
    public string? ClientSecret { get; set; }

    /// <summary>
    /// A file holding the client secret (a mounted Kubernetes or Vault secret), used instead of <see cref="ClientSecret"/>.
    /// Read at every token request, so a secret rotated in the file is used from the next request on, without a restart;
    /// surrounding white space (a trailing newline) is not part of the secret.
    /// </summary>
    /// <value>The default is null.</value>
    public string? ClientSecretPath { get; set; }

    /// <summary>How a confidential client proves who it is: its secret (Basic header or form body), a signed JWT or a TLS client certificate.</summary>
    /// <value>The default is <see cref="ClientAuthenticationMethod.ClientSecretBasic"/>.</value>
    [EnumDataType(typeof(ClientAuthenticationMethod), ErrorMessage = "ClientAuthentication must be ClientSecretBasic, ClientSecretPost, PrivateKeyJwt, TlsClientAuth, SelfSignedTlsClientAuth or ClientAssertion.")]
    public ClientAuthenticationMethod ClientAuthentication { get; set; } = ClientAuthenticationMethod.ClientSecretBasic;

    /// <summary>
    /// For <see cref="ClientAuthenticationMethod.PrivateKeyJwt"/>: a file holding the client's private key, PEM (PKCS#8,
    /// or PKCS#1 RSA / SEC1 EC, unencrypted) or a JWK JSON object. Read once at start; keep it readable only by the service.
    /// </summary>
    /// <value>The default is null.</value>
    public string? SigningKeyPath { get; set; }

    /// <summary>
    /// For <see cref="ClientAuthenticationMethod.PrivateKeyJwt"/>, set in code: an RSA or EC private key
    /// (<see cref="RsaSecurityKey"/>, <see cref="ECDsaSecurityKey"/>, <see cref="X509SecurityKey"/> of a certificate with
    /// its key, or <see cref="JsonWebKey"/>). Wins over <see cref="SigningKeyPath"/>. The assertion's <c>kid</c> is a JWK's
    /// own <c>kid</c> (or a key's <see cref="SecurityKey.KeyId"/>), else the key's RFC 7638 thumbprint.
    /// </summary>
    /// <value>The default is null.</value>
    public SecurityKey? SigningKey { get; set; }

    /// <summary>
    /// The JWS algorithm of the client assertion: RS256, RS384, RS512, PS256, PS384 or PS512 for an RSA key; ES256,
    /// ES384 or ES512 as the EC key's curve says.
    /// </summary>
    /// <value>The default is null: RS256 for RSA, the curve's ES algorithm for EC.</value>
    public string? SigningAlgorithm { get; set; }

    /// <summary>
    /// A JWT that the platform issues and renews (a Kubernetes projected service account token, a CI job's OIDC token, a
    /// SPIFFE JWT-SVID, a cloud workload identity token file): with <see cref="ClientAuthenticationMethod.ClientAssertion"/>
    /// it is the client's authentication (<c>client_assertion</c>), with <see cref="OfflineBearerGrant.JwtBearer"/> it is
    /// the grant (<c>assertion</c>). Read at every token request, and once more before an <c>invalid_client</c> or
    /// <c>invalid_grant</c> answer is final, so a rotated file is always sent as it is now; an expired one is reported,
    /// never sent.
    /// </summary>
    /// <value>The default is null.</value>
    public string? ClientAssertionPath { get; set; }

    /// <summary>
    /// Set in code, for a platform that hands its JWT out over an API: called at every token request for the assertion
    /// <see cref="ClientAssertionPath"/> would give; wins over it. It may cache; it should return a JWT that is not about
    /// to expire.
    /// </summary>
    /// <value>The default is null.</value>
    public Func<CancellationToken, ValueTask<string>>? ClientAssertionProvider { get; set; }

    /// <summary>
    /// The grant that gets a token when the client holds no refresh token: client credentials, the platform's JWT
    /// (jwt-bearer, RFC 7523) or a token exchange (RFC 8693).
    /// </summary>
    /// <value>The default is <see cref="OfflineBearerGrant.ClientCredentials"/>.</value>
    [EnumDataType(typeof(OfflineBearerGrant), ErrorMessage = "Grant must be ClientCredentials, JwtBearer or TokenExchange.")]
    public OfflineBearerGrant Grant { get; set; } = OfflineBearerGrant.ClientCredentials;

    /// <summary>
    /// For <see cref="OfflineBearerGrant.TokenExchange"/>: the name of another OfflineBearer client of this service whose
    /// current access token (got and refreshed as usual) is the subject token. One of this, <see cref="SubjectTokenPath"/>
    /// and <see cref="SubjectTokenProvider"/> is required.
    /// </summary>
    /// <value>The default is null.</value>
    public string? SubjectTokenClient { get; set; }

    /// <summary>For <see cref="OfflineBearerGrant.TokenExchange"/>: a file holding the subject token, read at every token request.</summary>
    /// <value>The default is null.</value>
    public string? SubjectTokenPath { get; set; }

    /// <summary>For <see cref="OfflineBearerGrant.TokenExchange"/>, set in code: called at every token request for the subject token.</summary>
    /// <value>The default is null.</value>
    public Func<CancellationToken, ValueTask<string>>? SubjectTokenProvider { get; set; }

    /// <summary>The <c>subject_token_type</c> of a token exchange.</summary>
    /// <value>The default is <c>urn:ietf:params:oauth:token-type:access_token</c>.</value>
    public string SubjectTokenType { get; set; } = "urn:ietf:params:oauth:token-type:access_token";

    /// <summary>The <c>requested_token_type</c> of a token exchange; null leaves the choice to the server (an access token).</summary>
    /// <value>The default is null.</value>
    public string? RequestedTokenType { get; set; }

    /// <summary>
    /// The APIs the token is for, as absolute URIs (<c>resource</c>, RFC 8707; Entra ID and OpenIddict pick the token's
    /// audience by it). Sent with every grant, refresh included.
    /// </summary>
    /// <value>The default is empty.</value>
    public IList<string> Resource { get; } = [];

    /// <summary>
    /// The logical name of the API the token is for (<c>audience</c>: RFC 8693 for a token exchange; Auth0 and Keycloak
    /// take it with client credentials too). Sent with client credentials, jwt-bearer and token exchange; not with a
    /// refresh, which keeps the token's audience.
    /// </summary>
    /// <value>The default is null.</value>
    public string? Audience { get; set; }

    /// <summary>
    /// More form parameters sent with every grant, for a server that needs its own (a tenant, Entra's <c>client_id</c>
    /// beside a federated assertion). They never replace the parameters OfflineBearer sends itself.
    /// </summary>
    /// <value>The default is empty.</value>
    public IDictionary<string, string> AdditionalParameters { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// The names of <see cref="AdditionalParameters"/> whose values are secret: they are removed from anything the server
    /// echoes into an error, as the client secret is.
    /// </summary>
    /// <value>The default is empty.</value>
    public IList<string> SecretParameters { get; } = [];

    /// <summary>
    /// A client certificate for mutual TLS with the token server (RFC 8705): with
    /// <see cref="ClientAuthenticationMethod.TlsClientAuth"/> or <see cref="ClientAuthenticationMethod.SelfSignedTlsClientAuth"/>
    /// the client proves itself with it; with any method, a server that binds tokens to it (<c>cnf.x5t#S256</c>) does so.
    /// A PEM file (the certificate, and its private key too unless <see cref="ClientCertificateKeyPath"/> names another
    /// file) or a PKCS#12 file (<c>.pfx</c>, <c>.p12</c>). Read at start, and again when the file changes (a renewed
    /// certificate is used from the token client's next connection on).
    /// </summary>
    /// <value>The default is null.</value>
    public string? ClientCertificatePath { get; set; }

    /// <summary>The PEM private key of <see cref="ClientCertificatePath"/>, when it is in a file of its own (as <c>tls.key</c> beside <c>tls.crt</c>).</summary>
    /// <value>The default is null: the key is in the certificate's file.</value>
    public string? ClientCertificateKeyPath { get; set; }

    /// <summary>The password of a PKCS#12 <see cref="ClientCertificatePath"/>, or of an encrypted PEM private key.</summary>
    /// <value>The default is null.</value>
    public string? ClientCertificatePassword { get; set; }

    /// <summary>
    /// The client certificate, with its private key, set in code; wins over <see cref="ClientCertificatePath"/>. The caller
    /// owns it. Give the API's <see cref="HttpClient"/> the same certificate when the server binds access tokens to it.
    /// </summary>
    /// <value>The default is null.</value>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>
    /// Whether to ask for access tokens bound to a key of this client (DPoP, RFC 9449): every token request and every API
    /// request carries a proof signed with the key, so a token stolen from a log or a proxy is useless without it. A server
    /// that does not bind (its <c>token_type</c> stays Bearer) gets plain bearer requests.
    /// </summary>
    /// <value>The default is false.</value>
    public bool DPoP { get; set; }

    /// <summary>
    /// For <see cref="DPoP"/>: a file holding the key to bind tokens to (PEM or JWK, as for <see cref="SigningKeyPath"/>).
    /// A server binds a public client's refresh token to the key too, so the key must outlive a restart: without this
    /// option the file store (<c>AddOfflineBearerFileStore</c>) keeps the key it made beside the refresh token; with a
    /// store of your own, set this.
    /// </summary>
    /// <value>The default is null: a P-256 key (ES256) made at the first token request, kept in the file store if there is one.</value>
    public string? DPoPKeyPath { get; set; }

    /// <summary>Space-separated scopes asked for with <c>client_credentials</c>, such as <c>offline_access</c>.</summary>
    /// <value>The default is null (the server's default scopes).</value>
    public string? Scope { get; set; }

    /// <summary>
    /// An offline refresh token obtained out of band (for example by a browser login). It is used until the server
    /// rotates it; the newest one is kept from then on.
    /// </summary>
    /// <value>The default is null.</value>
    public string? RefreshToken { get; set; }

    /// <summary>
    /// How long before the access token expires no request leaves with it any more while the token server answers.
    /// It is clamped to half the token's lifetime, so a short-lived token is not refreshed on every call.
    /// </summary>
    /// <value>The default is 60 seconds.</value>
    public TimeSpan RefreshBeforeExpiry { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Whether the API, the token endpoint and discovery must use https. Loopback (127.0.0.0/8, <c>::1</c>,
    /// <c>localhost</c>) is always allowed. A request to a plain http API gets no bearer token and fails instead.
    /// </summary>
    /// <value>The default is true.</value>
    public bool RequireHttps { get; set; } = true;

    /// <summary>How long one try at the token endpoint (send and read the answer) may take before it is abandoned.
    /// A caller whose token has not expired waits for a refresh at most this long and at most half the token's remaining
    /// life, then goes on with the current token, so a down or slow token server never fails a call that started with a
    /// valid token.</summary>
    /// <value>The default is 10 seconds.</value>
    public TimeSpan TokenRequestAttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many times a token request is tried again after a network error, a timeout, or HTTP 408, 429,
    /// 500, 502, 503 or 504, with exponential backoff and jitter (honouring <c>Retry-After</c>). OAuth errors such as
    /// <c>invalid_grant</c> are never tried again, and a refresh grant only when it surely never reached the server
    /// (or the server answered 429 or 503), since a replayed refresh token may already be spent.</summary>
    /// <value>The default is 3.</value>
    [Range(0, 10, ErrorMessage = "TokenRequestRetries must be between 0 and 10.")]
    public int TokenRequestRetries { get; set; } = 3;

    /// <summary>The time limit of one refresh: discovery, the grant with all its retries, a fall-back grant and the store's read.
    /// A caller without a valid token waits at most this long.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan TokenRequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// An offline session dies when its refresh token goes unused for long (30 days on Keycloak). A hosted service
    /// refreshes every client that holds a refresh token once it has not been refreshed for this long, even without
    /// traffic. Null turns it off.
    /// </summary>
    /// <value>The default is 7 days.</value>
    public TimeSpan? KeepAliveInterval { get; set; } = TimeSpan.FromDays(7);
}
