using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Data.Sqlite;
using OfflineBearer.Testing.Internal;

namespace OfflineBearer.Testing;

/// <summary>
/// A real OpenID Connect server (OpenIddict) with a protected API, in-process on a free loopback port, for testing a service
/// that uses OfflineBearer (and for demos and trials with curl): start one per test with <see cref="StartAsync(Action{TestTokenServerOptions}, CancellationToken)"/>,
/// configure the service with <see cref="ClientOptions"/>, break it with <see cref="Faults"/> and <see cref="Api"/>, and ask
/// its <see cref="Ledger"/> what it saw. It issues plain JWT access tokens and offline refresh tokens to its clients, binds them to a key when the token
/// request carries a DPoP proof (RFC 9449), exchanges its own tokens (RFC 8693) and those of a stand-in workload identity issuer
/// (<see cref="WorkloadIssuer"/>; the jwt-bearer grant of RFC 7523, and client authentication with them as Keycloak's federated
/// JWT), takes <c>resource</c> and <c>audience</c>, keeps everything in an in-memory SQLite store, and lives until disposed.
/// Given a <see cref="TestTokenServerOptions.ServerCertificate"/> it serves https with mutual TLS (RFC 8705): certificate clients
/// and certificate-bound access tokens. Not for production: ephemeral keys, plain HTTP or throwaway certificates, fixed secrets.
/// </summary>
/// <remarks>
/// One class in seven files: this one holds its addresses, its controls and its lifetime; TestTokenServer.Hosting.cs starts
/// it, TestTokenServer.Validation.cs checks its options, TestTokenServer.Clients.cs names and registers its clients,
/// TestTokenServer.ClientOptions.cs configures a handler as one of them, TestTokenServer.Clock.cs moves a fake clock while
/// a call waits, and TestTokenServer.Person.cs plays the person at the browser.
/// </remarks>
public sealed partial class TestTokenServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SqliteConnection _keepAlive;
    private readonly HttpClient _http;
    private readonly TokenRevoker _revoker;
    private readonly DPoPNonce _dpopNonce;
    private readonly MutualTls? _mutualTls;
    private readonly DevClients _clients;
    private readonly ConcurrentDictionary<string, string> _currentSecrets = new(StringComparer.Ordinal);
    private readonly Uri? _mtlsTokenEndpoint;
    private readonly Uri? _mtlsRevocationEndpoint;
    private int _disposed;

    private TestTokenServer(
        WebApplication app,
        SqliteConnection keepAlive,
        Uri authority,
        TokenLedger ledger,
        TokenServerFaults faults,
        string? signedJwtClientKeyPem,
        MutualTls? mutualTls,
        TestWorkloadIssuer workloadIssuer)
    {
        SignedJwtClientKeyPem = signedJwtClientKeyPem;
        _app = app;
        _keepAlive = keepAlive;
        _revoker = app.Services.GetRequiredService<TokenRevoker>();
        _dpopNonce = app.Services.GetRequiredService<DPoPNonce>();
        _mutualTls = mutualTls;
        // Never follows a redirect: the login helpers hand the client's redirect back instead of requesting it.
        _http = new HttpClient(CreateSocketsHandler(mutualTls?.ServerCertificate, clientCertificate: null));
        _http.DefaultRequestHeaders.Add(TokenServerFaults.HelperHeader, "1");
        Authority = authority;
        if (mutualTls is not null)
        {
            _mtlsTokenEndpoint = new Uri(authority, MutualTls.TokenAliasPath);
            _mtlsRevocationEndpoint = new Uri(authority, MutualTls.RevocationAliasPath);
        }

        TokenEndpoint = new Uri(authority, "connect/token");
        RevocationEndpoint = new Uri(authority, "connect/revoke");
        AuthorizationEndpoint = new Uri(authority, Internal.AuthorizationEndpoint.Path);
        DeviceAuthorizationEndpoint = new Uri(authority, "connect/device");
        VerificationEndpoint = new Uri(authority, Internal.VerificationEndpoint.Path);
        ApiUrl = new Uri(authority, "api/");
        Ledger = ledger;
        Faults = faults;
        Api = app.Services.GetRequiredService<TestApi>();
        WorkloadIssuer = workloadIssuer;
        _clients = app.Services.GetRequiredService<DevClients>();
    }

    /// <summary>
    /// The issuer and base address, with the real port and a trailing slash, e.g. <c>http://127.0.0.1:41234/</c>, or
    /// <c>https://127.0.0.1:41234/</c> with a <see cref="TestTokenServerOptions.ServerCertificate"/>.
    /// </summary>
    public Uri Authority { get; }

    /// <summary>The discovery document, <c>{Authority}.well-known/openid-configuration</c>.</summary>
    public Uri DiscoveryEndpoint => new(Authority, ".well-known/openid-configuration");

    /// <summary>The token endpoint, <c>{Authority}connect/token</c>.</summary>
    public Uri TokenEndpoint { get; }

    /// <summary>The RFC 7009 revocation endpoint, <c>{Authority}connect/revoke</c>.</summary>
    public Uri RevocationEndpoint { get; }

    /// <summary>
    /// The token endpoint's mutual TLS alias, <c>{Authority}connect/mtls/token</c>, advertised in discovery as
    /// <c>mtls_endpoint_aliases.token_endpoint</c> (RFC 8705 section 5). The same token endpoint as <see cref="TokenEndpoint"/>
    /// under another path; requests to it are counted in <see cref="TokenLedger.MtlsTokenRequests"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server was started without a <see cref="TestTokenServerOptions.ServerCertificate"/>.</exception>
    public Uri MtlsTokenEndpoint => _mtlsTokenEndpoint ?? throw NoMutualTls(nameof(MtlsTokenEndpoint));

    /// <summary>
    /// The revocation endpoint's mutual TLS alias, <c>{Authority}connect/mtls/revoke</c>, advertised as
    /// <c>mtls_endpoint_aliases.revocation_endpoint</c>; the same endpoint as <see cref="RevocationEndpoint"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server was started without a <see cref="TestTokenServerOptions.ServerCertificate"/>.</exception>
    public Uri MtlsRevocationEndpoint => _mtlsRevocationEndpoint ?? throw NoMutualTls(nameof(MtlsRevocationEndpoint));

    /// <summary>
    /// The authorization endpoint, <c>{Authority}connect/authorize</c>: a login form for the authorization code flow
    /// (PKCE S256 required). <see cref="LogInAsync"/> completes it as a person would.
    /// </summary>
    public Uri AuthorizationEndpoint { get; }

    /// <summary>The RFC 8628 device authorization endpoint, <c>{Authority}connect/device</c>.</summary>
    public Uri DeviceAuthorizationEndpoint { get; }

    /// <summary>
    /// The device flow's verification page, <c>{Authority}connect/verify</c> (the <c>verification_uri</c>; it takes
    /// <c>?user_code=</c>). <see cref="ApproveDeviceAsync"/> completes it as a person would.
    /// </summary>
    public Uri VerificationEndpoint { get; }

    /// <summary>The protected API's base, <c>{Authority}api/</c>; <c>GET ping</c> answers 200 with a valid access token.</summary>
    public Uri ApiUrl { get; }

    /// <summary>
    /// The private key of <see cref="SignedJwtClientId"/> as an unencrypted PKCS#8 PEM, when the server made the pair
    /// (no <see cref="TestTokenServerOptions.SignedJwtClientPublicKey"/> given); null otherwise. A development key: write it to
    /// a file and point <c>SigningKeyPath</c> at it.
    /// </summary>
    public string? SignedJwtClientKeyPem { get; }

    /// <summary>
    /// The stand-in workload identity issuer this server trusts (a Kubernetes API server signing service account tokens):
    /// its tokens authenticate <see cref="WorkloadClientId"/> and other federated clients as <c>client_assertion</c>, and are
    /// exchanged for access tokens with the jwt-bearer grant (RFC 7523).
    /// </summary>
    public TestWorkloadIssuer WorkloadIssuer { get; }

    /// <summary>What the server has seen: token requests by client and grant, API calls, the lineage of every refresh token.</summary>
    public TokenLedger Ledger { get; }

    /// <summary>Outages, planned answers and latency of the server's own endpoints.</summary>
    public TokenServerFaults Faults { get; }

    /// <summary>The switches of the protected API at <see cref="ApiUrl"/>: a 401 storm, a required scope.</summary>
    public TestApi Api { get; }

    /// <summary>
    /// A handler for calling this server: over https it trusts exactly the server's certificate (nothing else, and not
    /// the machine's store) and presents <paramref name="clientCertificate"/> when the server asks for one, as a mutual TLS
    /// client does. Over http it is a plain handler. Each call makes a new handler with its own connections; the caller
    /// disposes it, and keeps owning the certificate.
    /// </summary>
    /// <param name="clientCertificate">The client certificate with its private key, or <see langword="null"/> to present none.</param>
    /// <returns>A <see cref="SocketsHttpHandler"/>.</returns>
    public HttpMessageHandler CreateHttpHandler(X509Certificate2? clientCertificate = null) =>
        CreateSocketsHandler(_mutualTls?.ServerCertificate, clientCertificate);

    /// <summary>Revokes every access token that is still valid, so the API refuses them from now on.</summary>
    /// <param name="cancellationToken">Cancels the revocation.</param>
    /// <returns>How many access tokens were revoked.</returns>
    public Task<int> RevokeAccessTokensAsync(CancellationToken cancellationToken = default) =>
        _revoker.RevokeAccessTokensAsync(cancellationToken);

    /// <summary>
    /// Revokes every valid refresh token of a client, and its grants, so its next refresh fails with
    /// <c>invalid_grant</c>. Access tokens already issued stay usable until they expire, as with a JWT resource server.
    /// </summary>
    /// <param name="clientId">The client, e.g. <see cref="BasicClientId"/>.</param>
    /// <param name="cancellationToken">Cancels the revocation.</param>
    /// <returns>How many refresh tokens were revoked.</returns>
    public Task<int> RevokeRefreshTokensAsync(string clientId, CancellationToken cancellationToken = default) =>
        _revoker.RevokeRefreshTokensAsync(clientId, cancellationToken);

    /// <summary>
    /// Replaces the DPoP nonce the token endpoint and the API hand out, so the nonce every client holds is stale: with
    /// <see cref="TestTokenServerOptions.RequireDPoPNonce"/> on, each client's next proof is answered <c>use_dpop_nonce</c> with
    /// the new nonce, as when a server switches nonces. Without that option nonces are not checked and this changes nothing.
    /// With <see cref="TestTokenServerOptions.DPoPNonceRotationInterval"/> the nonce also changes by itself.
    /// </summary>
    public void RotateDPoPNonce() => _dpopNonce.Rotate();

    /// <summary>Stops the server and drops its store. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _http.Dispose();
        Faults.Clear(); // a request a fault holds would hold up the shutdown
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _keepAlive.DisposeAsync().ConfigureAwait(false);
        _mutualTls?.Dispose();
        WorkloadIssuer.Dispose();
    }

    // Never follows a redirect, keeps no cookies: the login helpers hand the client's redirect back instead of requesting it.
    private static SocketsHttpHandler CreateSocketsHandler(X509Certificate2? serverCertificate, X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false };
        if (serverCertificate is not null)
        {
            var expected = serverCertificate.RawData;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(expected);
        }

        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        return handler;
    }

    private static InvalidOperationException NoMutualTls(string member) => new(
        $"{member} exists only on a server with mutual TLS: set TestTokenServerOptions.ServerCertificate (e.g. TestCertificates.CreateServerCertificate()).");
}
