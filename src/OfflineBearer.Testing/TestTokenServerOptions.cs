using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.Tokens;

namespace OfflineBearer.Testing;

/// <summary>
/// Settings of a <see cref="TestTokenServer"/>. The defaults suit tests and the demo: a free loopback port,
/// ten-second access tokens, rotated refresh tokens with strict reuse detection, and quiet logs.
/// </summary>
public sealed class TestTokenServerOptions
{
    /// <summary>
    /// The address to listen on; port 0 picks a free port. An <c>https</c> address needs a <see cref="ServerCertificate"/>;
    /// with one, the default address becomes <c>https://127.0.0.1:0</c>.
    /// </summary>
    /// <value>The default is <c>http://127.0.0.1:0</c>.</value>
    public string Url { get; set; } = "http://127.0.0.1:0";

    /// <summary>
    /// The TLS certificate, with its private key, that turns on HTTPS and mutual TLS (RFC 8705). The server then listens on
    /// https (<c>https://127.0.0.1:0</c> when <see cref="Url"/> is left at its default), asks every client for a certificate
    /// without requiring one and takes any at the TLS layer (OpenIddict judges it), registers the certificate clients
    /// <see cref="TestTokenServer.TlsClientId"/> and <see cref="TestTokenServer.SelfSignedTlsClientId"/> (each when its certificate
    /// option is set), serves the token endpoint alias <see cref="TestTokenServer.MtlsTokenEndpoint"/>, and binds the access tokens
    /// of a client that presented a certificate to it (<c>cnf.x5t#S256</c>). <see cref="TestCertificates.CreateServerCertificate"/>
    /// makes one; <see cref="TestTokenServer.CreateHttpHandler"/> makes a client that trusts it.
    /// </summary>
    /// <value>The default, <see langword="null"/>, serves plain HTTP with no certificate clients, as before.</value>
    public X509Certificate2? ServerCertificate { get; set; }

    /// <summary>
    /// The root certificate authority (its public part is enough) that the certificate of <see cref="TestTokenServer.TlsClientId"/>
    /// (<c>tls_client_auth</c>) must chain to; the certificate must also carry the DNS name
    /// <see cref="TestTokenServer.TlsClientCertificateName"/>. Needs <see cref="ServerCertificate"/>. Revocation is not checked.
    /// </summary>
    /// <value>The default, <see langword="null"/>, leaves <c>tls_client_auth</c> off and that client unregistered.</value>
    public X509Certificate2? TlsClientCertificateAuthority { get; set; }

    /// <summary>
    /// The self-signed certificate (its public part is enough, RSA) registered for <see cref="TestTokenServer.SelfSignedTlsClientId"/>
    /// (<c>self_signed_tls_client_auth</c>): that client authenticates by presenting exactly this certificate. It needs the
    /// clientAuth extended key usage and the digitalSignature key usage, as
    /// <see cref="TestCertificates.CreateSelfSignedClientCertificate"/> makes them. Needs <see cref="ServerCertificate"/>.
    /// </summary>
    /// <value>The default, <see langword="null"/>, leaves that client unregistered.</value>
    public X509Certificate2? SelfSignedTlsClientCertificate { get; set; }

    /// <summary>
    /// The ids of more confidential clients to register, besides the fixed ones (<see cref="TestTokenServer.BasicClientId"/>
    /// and the others): each authenticates with <c>client_secret_basic</c> and the secret <see cref="TestTokenServer.SecretOf"/>
    /// gives, may use the client credentials and refresh token grants with <c>offline_access</c> and <see cref="TestTokenServer.ApiScope"/>,
    /// and has its own requests in the <see cref="TokenLedger"/>. <see cref="TestTokenServer.ClientOptions"/> configures a
    /// handler as any of them.
    /// </summary>
    /// <value>The default is empty.</value>
    public IList<string> Clients { get; } = [];

    /// <summary>
    /// The resource indicators (RFC 8707) a token request may name with <c>resource</c>, besides
    /// <see cref="TestTokenServer.ApiResource"/>: absolute URIs without a fragment. Any client may ask for any of them, on any
    /// grant; an unregistered one is answered <c>invalid_target</c>. The access token of a client credentials, jwt-bearer or
    /// token exchange grant carries the requested resources and audiences as its <c>aud</c>.
    /// </summary>
    /// <value>The default is empty.</value>
    public IList<string> Resources { get; } = [];

    /// <summary>
    /// The audiences a token request may name with <c>audience</c>, besides <see cref="TestTokenServer.ApiAudience"/>. The
    /// parameter is taken on the client credentials, jwt-bearer and token exchange grants, as Auth0 and Keycloak take it,
    /// and refused with <c>invalid_request</c> on the others (a refresh among them); an unregistered value is answered
    /// <c>invalid_target</c>.
    /// </summary>
    /// <value>The default is empty.</value>
    public IList<string> Audiences { get; } = [];

    /// <summary>
    /// The <c>iss</c> of the tokens <see cref="TestTokenServer.WorkloadIssuer"/> signs, as a cluster's service account issuer.
    /// </summary>
    /// <value>The default is <see cref="TestWorkloadIssuer.DefaultIssuer"/>, <c>https://kubernetes.default.svc.cluster.local</c>.</value>
    public string WorkloadTokenIssuer { get; set; } = TestWorkloadIssuer.DefaultIssuer;

    /// <summary>
    /// The federated identities of clients: a workload token's <c>sub</c> mapped to the registered confidential client it
    /// authenticates as (Keycloak's "Signed JWT - Federated" client authenticator, whose client names the subject). A token
    /// request whose <c>client_assertion</c> is a valid token of <see cref="TestTokenServer.WorkloadIssuer"/> counts as the
    /// client its subject maps to, whatever other method that client has; a subject mapped to no client is
    /// <c>invalid_client</c>.
    /// </summary>
    /// <value>
    /// The default maps <see cref="TestTokenServer.WorkloadSubject"/> to <see cref="TestTokenServer.WorkloadClientId"/>.
    /// </value>
    public IDictionary<string, string> WorkloadSubjects { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [TestTokenServer.WorkloadSubject] = TestTokenServer.WorkloadClientId,
    };

    /// <summary>How long issued access tokens live (their <c>exp</c> minus <c>iat</c>).</summary>
    /// <value>The default is 10 seconds, short enough to exercise refreshes.</value>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether each refresh returns a new refresh token and retires the old one. When on, reuse detection is strict:
    /// presenting an already redeemed refresh token revokes the whole grant, like Keycloak's "Revoke Refresh Token".
    /// When off, a refresh token stays valid after use; each refresh still returns a new one too, as Keycloak does.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool RotateRefreshTokens { get; set; } = true;

    /// <summary>
    /// How long a device code (and its user code) of the device authorization grant stays usable. A device code polled
    /// after that, on <see cref="TimeProvider"/>, is answered <c>expired_token</c>.
    /// </summary>
    /// <value>The default is 5 minutes.</value>
    public TimeSpan DeviceCodeLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The least time between two polls of one device code, announced as <c>interval</c> in the device authorization
    /// response. A poll that comes sooner after the previous one (or after the device authorization) is answered
    /// <c>slow_down</c> (RFC 8628, section 3.5).
    /// </summary>
    /// <value>The default is 5 seconds.</value>
    public TimeSpan DevicePollingInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The <c>interval</c> the device authorization response announces, when it should differ from
    /// <see cref="DevicePollingInterval"/>: shorter, it plays a server that asks a client polling as told to slow down
    /// (RFC 8628, section 3.5), which a test of <c>slow_down</c> needs.
    /// </summary>
    /// <value>The default, <see langword="null"/>, announces <see cref="DevicePollingInterval"/>.</value>
    public TimeSpan? AnnouncedDevicePollingInterval { get; set; }

    /// <summary>
    /// The public key registered for <see cref="TestTokenServer.SignedJwtClientId"/> (<c>private_key_jwt</c>), as a server's
    /// client JWKS holds it: RSA or EC, without private members.
    /// </summary>
    /// <value>The default, <see langword="null"/>, has the server make an EC P-256 key pair at start and hand out its
    /// private half as <see cref="TestTokenServer.SignedJwtClientKeyPem"/>.</value>
    public JsonWebKey? SignedJwtClientPublicKey { get; set; }

    /// <summary>
    /// Whether the token endpoint refuses token requests without a DPoP proof (RFC 9449) with <c>invalid_dpop_proof</c>.
    /// When off, a request without a proof gets bearer tokens as before and one with a valid proof gets DPoP-bound tokens.
    /// </summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool RequireDPoP { get; set; }

    /// <summary>
    /// Whether DPoP proofs must carry the server's nonce (RFC 9449 section 8 and 9). A proof without it, or with a stale
    /// one, is answered <c>use_dpop_nonce</c> (400 at the token endpoint, 401 at the API) with the current nonce in a
    /// <c>DPoP-Nonce</c> header, as do the token endpoint's other answers to an authenticated client and the API's answers to
    /// DPoP requests. Token endpoint and API share one nonce, which changes when <see cref="TestTokenServer.RotateDPoPNonce"/> is
    /// called and, if <see cref="DPoPNonceRotationInterval"/> is set, at every interval.
    /// </summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool RequireDPoPNonce { get; set; }

    /// <summary>
    /// How often the shared DPoP nonce of the token endpoint and the API changes by itself, counted on
    /// <see cref="TimeProvider"/> from the server's start: a fake clock moved by one interval makes every nonce handed out
    /// before stale, as a server that rotates its nonces does. Only the current nonce is accepted. Needs
    /// <see cref="RequireDPoPNonce"/>.
    /// </summary>
    /// <value>The default, <see langword="null"/>, changes the nonce only when <see cref="TestTokenServer.RotateDPoPNonce"/> is called.</value>
    public TimeSpan? DPoPNonceRotationInterval { get; set; }

    /// <summary>The clock of the server and of the API's token validation, so tests can move time.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Configures logging; the builder starts with no providers.</summary>
    /// <value>The default, <see langword="null"/>, logs warnings and errors to the console.</value>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }
}
