using System.Net;
using System.Security.Cryptography;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.IdentityModel.Tokens;
using OfflineBearer.DevServer.Internal;
using OpenIddict.Abstractions;

namespace OfflineBearer.DevServer;

/// <summary>
/// A small OpenID Connect server (OpenIddict) with a protected API, for demos, integration tests and trials with curl.
/// It issues plain JWT access tokens and offline refresh tokens to its fixed clients, binds them to a key when the token
/// request carries a DPoP proof (RFC 9449), keeps everything in an in-memory SQLite store, and lives until disposed.
/// Given a <see cref="DevServerOptions.ServerCertificate"/> it serves https with mutual TLS (RFC 8705): certificate clients
/// and certificate-bound access tokens. Not for production: ephemeral keys, plain HTTP or throwaway certificates, fixed secrets.
/// </summary>
public sealed partial class DevServer : IAsyncDisposable
{
    /// <summary>Confidential client that authenticates with <c>client_secret_basic</c> only.</summary>
    public const string BasicClientId = "basic-client";

    /// <summary>Secret of <see cref="BasicClientId"/>.</summary>
    public const string BasicClientSecret = "basic-secret";

    /// <summary>Confidential client that authenticates with <c>client_secret_post</c> only.</summary>
    public const string PostClientId = "post-client";

    /// <summary>Secret of <see cref="PostClientId"/>.</summary>
    public const string PostClientSecret = "post-secret";

    /// <summary>
    /// Public client (no secret) of <see cref="UserName"/>: the password grant, the authorization code flow with PKCE
    /// (S256) on a loopback redirect (<see cref="LoopbackRedirectUri"/>, any port), and the device authorization grant.
    /// </summary>
    public const string PublicClientId = "public-client";

    /// <summary>
    /// Confidential client without a secret: it authenticates with a JWT signed by its private key (<c>private_key_jwt</c>,
    /// RFC 7523), checked against <see cref="DevServerOptions.SignedJwtClientPublicKey"/> or the key pair the server made
    /// (<see cref="SignedJwtClientKeyPem"/>). The assertion's <c>aud</c> must be the issuer, <see cref="Authority"/>.
    /// </summary>
    public const string SignedJwtClientId = "jwt-client";

    /// <summary>
    /// Confidential client that authenticates with a certificate from a PKI (<c>tls_client_auth</c>, RFC 8705 section 2.1),
    /// with no secret: over a TLS connection whose client certificate chains to
    /// <see cref="DevServerOptions.TlsClientCertificateAuthority"/> and names <see cref="TlsClientCertificateName"/> in a DNS
    /// subject alternative name. Its token requests send <c>client_id</c> in the form and no secret; its access tokens are
    /// bound to the certificate. Registered only when that option (and <see cref="DevServerOptions.ServerCertificate"/>) is set.
    /// </summary>
    public const string TlsClientId = "tls-client";

    /// <summary>The DNS name the certificate of <see cref="TlsClientId"/> must carry.</summary>
    public const string TlsClientCertificateName = "tls-client.offlinebearer.test";

    /// <summary>
    /// Confidential client that authenticates with a self-signed certificate (<c>self_signed_tls_client_auth</c>, RFC 8705
    /// section 2.2), with no secret: over a TLS connection whose client certificate is
    /// <see cref="DevServerOptions.SelfSignedTlsClientCertificate"/>. Its token requests send <c>client_id</c> in the form and
    /// no secret; its access tokens are bound to the certificate. Registered only when that option is set.
    /// </summary>
    public const string SelfSignedTlsClientId = "self-signed-tls-client";

    /// <summary>The demo user of the public client's password grant.</summary>
    public const string UserName = "alice";

    /// <summary>Password of <see cref="UserName"/>.</summary>
    public const string Password = "alice-password";

    /// <summary>The scope every client may ask for besides <c>offline_access</c>.</summary>
    public const string ApiScope = "api";

    /// <summary>The path of the public client's loopback redirect URI.</summary>
    public const string LoopbackRedirectPath = "/callback";

    /// <summary>
    /// The public client's registered redirect URI. Registered without a port for a native application (RFC 8252 7.3),
    /// it accepts <c>http://127.0.0.1:{any port}/callback</c>; <c>http://[::1]:{any port}/callback</c> is registered too.
    /// </summary>
    public const string LoopbackRedirectUri = "http://127.0.0.1" + LoopbackRedirectPath;

    private const string DefaultUrl = "http://127.0.0.1:0";
    private const string DefaultHttpsUrl = "https://127.0.0.1:0";

    private readonly WebApplication _app;
    private readonly SqliteConnection _keepAlive;
    private readonly HttpClient _http;
    private readonly TokenRevoker _revoker;
    private readonly DPoPNonce _dpopNonce;
    private readonly MutualTls? _mutualTls;
    private readonly Uri? _mtlsTokenEndpoint;
    private readonly Uri? _mtlsRevocationEndpoint;
    private int _disposed;

    private DevServer(
        WebApplication app, SqliteConnection keepAlive, Uri authority, DevServerStats stats, string? signedJwtClientKeyPem, MutualTls? mutualTls)
    {
        SignedJwtClientKeyPem = signedJwtClientKeyPem;
        _app = app;
        _keepAlive = keepAlive;
        _revoker = app.Services.GetRequiredService<TokenRevoker>();
        _dpopNonce = app.Services.GetRequiredService<DPoPNonce>();
        _mutualTls = mutualTls;
        // Never follows a redirect: the login helpers hand the client's redirect back instead of requesting it.
        _http = new HttpClient(CreateSocketsHandler(mutualTls?.ServerCertificate, clientCertificate: null));
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
        Stats = stats;
    }

    /// <summary>
    /// The issuer and base address, with the real port and a trailing slash, e.g. <c>http://127.0.0.1:41234/</c>, or
    /// <c>https://127.0.0.1:41234/</c> with a <see cref="DevServerOptions.ServerCertificate"/>.
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
    /// under another path; requests to it are counted in <see cref="DevServerStats.MtlsTokenRequests"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server was started without a <see cref="DevServerOptions.ServerCertificate"/>.</exception>
    public Uri MtlsTokenEndpoint => _mtlsTokenEndpoint ?? throw NoMutualTls(nameof(MtlsTokenEndpoint));

    /// <summary>
    /// The revocation endpoint's mutual TLS alias, <c>{Authority}connect/mtls/revoke</c>, advertised as
    /// <c>mtls_endpoint_aliases.revocation_endpoint</c>; the same endpoint as <see cref="RevocationEndpoint"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server was started without a <see cref="DevServerOptions.ServerCertificate"/>.</exception>
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
    /// (no <see cref="DevServerOptions.SignedJwtClientPublicKey"/> given); null otherwise. A development key: write it to
    /// a file and point <c>SigningKeyPath</c> at it.
    /// </summary>
    public string? SignedJwtClientKeyPem { get; }

    /// <summary>What the server has seen: token requests and API calls.</summary>
    public DevServerStats Stats { get; }

    /// <summary>Starts a server and seeds its clients; it listens once this completes.</summary>
    /// <param name="options">The settings; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop it.</returns>
    public static async Task<DevServer> StartAsync(DevServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new DevServerOptions();
        Validate(options);

        // A named, shared-cache in-memory database lives as long as one connection to it stays open. Each DbContext
        // opens its own connection to it, because one SqliteConnection must not serve concurrent requests.
        var connectionString = $"Data Source=OfflineBearer.DevServer.{Guid.NewGuid():N};Mode=Memory;Cache=Shared";
        var keepAlive = new SqliteConnection(connectionString);
        WebApplication? app = null;
        MutualTls? ownedMutualTls = null;
        try
        {
            await keepAlive.OpenAsync(cancellationToken).ConfigureAwait(false);

            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
            {
                ApplicationName = typeof(DevServer).Assembly.GetName().Name,
                ContentRootPath = AppContext.BaseDirectory,
            });
            var mutualTls = options.ServerCertificate is null ? null : new MutualTls(options);
            ownedMutualTls = mutualTls;
            builder.WebHost.UseUrls(mutualTls is not null && options.Url == DefaultUrl ? DefaultHttpsUrl : options.Url);
            if (mutualTls is not null)
            {
                // The slim builder leaves https addresses out until asked.
                builder.WebHost.UseKestrelHttpsConfiguration();
                builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(mutualTls.Configure));
            }

            builder.Logging.ClearProviders();
            (options.ConfigureLogging ?? DefaultLogging)(builder.Logging);

            var stats = new DevServerStats();
            builder.Services.AddDevServer(options, connectionString, stats, mutualTls);

            app = builder.Build();
            app.Use(async (context, next) =>
            {
                stats.RequestStarted();
                try
                {
                    await next(context).ConfigureAwait(false);
                }
                finally
                {
                    stats.RequestEnded();
                }
            });
            app.UseAuthentication();
            app.MapTokenEndpoint(mutualTls: mutualTls is not null);
            app.MapAuthorizationEndpoint();
            app.MapVerificationEndpoint();
            app.MapApi();
            app.MapAdmin();

            using var madeKey = options.SignedJwtClientPublicKey is null ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
            var signedJwtKey = options.SignedJwtClientPublicKey
                ?? JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(madeKey!.ExportParameters(includePrivateParameters: false))));
            await SeedAsync(app.Services, signedJwtKey, mutualTls, cancellationToken).ConfigureAwait(false);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);

            var authority = ReadAuthority(app);
            if (mutualTls is not null)
            {
                mutualTls.Issuer = authority;
            }

            var server = new DevServer(app, keepAlive, authority, stats, madeKey?.ExportPkcs8PrivateKeyPem(), mutualTls);
            await server.WarmUpAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }

            await keepAlive.DisposeAsync().ConfigureAwait(false);
            ownedMutualTls?.Dispose();
            throw;
        }
    }

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

    /// <summary>
    /// Gets a fresh offline refresh token for <see cref="PublicClientId"/> with the password grant over HTTP, as a user
    /// would obtain one out of band. The request shows in <see cref="Stats"/> like any other.
    /// </summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The refresh token.</returns>
    public async Task<string> GetPublicClientOfflineTokenAsync(CancellationToken cancellationToken = default)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [OpenIddictConstants.Parameters.GrantType] = OpenIddictConstants.GrantTypes.Password,
            [OpenIddictConstants.Parameters.ClientId] = PublicClientId,
            [OpenIddictConstants.Parameters.Username] = UserName,
            [OpenIddictConstants.Parameters.Password] = Password,
            [OpenIddictConstants.Parameters.Scope] = $"{OpenIddictConstants.Scopes.OfflineAccess} {ApiScope}",
        });

        using var response = await _http.PostAsync(TokenEndpoint, form, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadFromJsonAsync<TokenResponse>(cancellationToken).ConfigureAwait(false);

        return body?.RefreshToken ?? throw new InvalidOperationException(
            $"The password grant for '{PublicClientId}' returned no refresh token: HTTP {(int)response.StatusCode} {body?.Error}.");
    }

    /// <summary>
    /// Acts as the person at the browser in the authorization code flow: requests <paramref name="authorizationUrl"/>
    /// (the login form), posts the form back with the credentials (or with Deny), and returns where the server
    /// redirects the browser: the client's redirect URI with <c>code</c> and <c>state</c>, or with <c>error</c>. The
    /// returned URL is not requested. Redirects are never followed.
    /// </summary>
    /// <param name="authorizationUrl">The authorization request, e.g. <c>{AuthorizationEndpoint}?response_type=code&amp;…</c>.</param>
    /// <param name="userName">The user name typed in.</param>
    /// <param name="password">The password typed in.</param>
    /// <param name="deny">Presses Deny instead of signing in; the redirect then carries <c>error=access_denied</c>.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The redirect's <c>Location</c>, absolute. If the server refuses the request itself with a redirect
    /// (e.g. no <c>code_challenge</c>), that redirect, without a form being shown.</returns>
    /// <exception cref="InvalidOperationException">No redirect came: the credentials are wrong, or the server refused
    /// the request without a redirect (e.g. an unregistered redirect URI); the message says what the page said.</exception>
    public async Task<Uri> LogInAsync(
        Uri authorizationUrl, string userName = UserName, string password = Password, bool deny = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(authorizationUrl);

        using var page = await _http.GetAsync(authorizationUrl, cancellationToken).ConfigureAwait(false);
        if (RedirectOf(page, authorizationUrl) is { } refused)
        {
            return refused;
        }

        var html = await page.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!page.IsSuccessStatusCode)
        {
            throw new InvalidOperationException(
                $"The authorization request was refused without a redirect: HTTP {(int)page.StatusCode}: {Shorten(html)}");
        }

        var fields = HiddenFields(html);
        fields.Add(new(Internal.AuthorizationEndpoint.UserNameField, userName));
        fields.Add(new(Internal.AuthorizationEndpoint.PasswordField, password));
        if (deny)
        {
            fields.Add(new(Internal.AuthorizationEndpoint.DenyField, "true"));
        }

        using var form = new FormUrlEncodedContent(fields);
        using var answer = await _http.PostAsync(AuthorizationEndpoint, form, cancellationToken).ConfigureAwait(false);
        return RedirectOf(answer, AuthorizationEndpoint) ?? throw new InvalidOperationException(
            $"The login was not accepted (HTTP {(int)answer.StatusCode}, no redirect): {Alert(await answer.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false))}");
    }

    /// <summary>
    /// Acts as the person who enters a device's user code on <see cref="VerificationEndpoint"/>, signs in as
    /// <see cref="UserName"/> and approves or denies. The device's next poll then gets its tokens, or
    /// <c>access_denied</c>.
    /// </summary>
    /// <param name="userCode">The <c>user_code</c> of the device authorization response.</param>
    /// <param name="approve"><see langword="true"/> to approve, <see langword="false"/> to deny.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes once the server has recorded the decision.</returns>
    /// <exception cref="InvalidOperationException">The user code is unknown, already used or expired.</exception>
    public async Task ApproveDeviceAsync(string userCode, bool approve = true, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userCode);

        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [Internal.VerificationEndpoint.UserCodeField] = userCode,
            [Internal.VerificationEndpoint.UserNameField] = UserName,
            [Internal.VerificationEndpoint.PasswordField] = Password,
            [Internal.VerificationEndpoint.ActionField] = approve ? Internal.VerificationEndpoint.Approve : Internal.VerificationEndpoint.Deny,
        });

        using var answer = await _http.PostAsync(VerificationEndpoint, form, cancellationToken).ConfigureAwait(false);
        if (RedirectOf(answer, VerificationEndpoint) is null)
        {
            throw new InvalidOperationException(
                $"The device was not {(approve ? "approved" : "denied")} (HTTP {(int)answer.StatusCode}): {Alert(await answer.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false))}");
        }
    }

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
    /// <see cref="DevServerOptions.RequireDPoPNonce"/> on, each client's next proof is answered <c>use_dpop_nonce</c> with
    /// the new nonce, as when a server switches nonces. Without that option nonces are not checked and this changes nothing.
    /// With <see cref="DevServerOptions.DPoPNonceRotationInterval"/> the nonce also changes by itself.
    /// </summary>
    public void RotateDPoPNonce() => _dpopNonce.Rotate();

    /// <summary>
    /// The first discovery and token requests of a fresh process take seconds (JIT, EF Core model, secret hashing); a
    /// client would count them against its first token's lifetime. One refused request pays that cost up front.
    /// </summary>
    private async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        (await _http.GetAsync(DiscoveryEndpoint, cancellationToken).ConfigureAwait(false)).Dispose();
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [OpenIddictConstants.Parameters.GrantType] = OpenIddictConstants.GrantTypes.ClientCredentials,
            [OpenIddictConstants.Parameters.ClientId] = PostClientId,
            [OpenIddictConstants.Parameters.ClientSecret] = "warm-up, not the secret",
        });
        (await _http.PostAsync(TokenEndpoint, form, cancellationToken).ConfigureAwait(false)).Dispose();
        Stats.Reset();
    }

    /// <summary>Stops the server and drops its store. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _http.Dispose();
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _keepAlive.DisposeAsync().ConfigureAwait(false);
        _mutualTls?.Dispose();
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
        $"{member} exists only on a server with mutual TLS: set DevServerOptions.ServerCertificate (e.g. DevServerCertificates.CreateServerCertificate()).");

    private static void Validate(DevServerOptions options)
    {
        if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Url must be an absolute http URL such as {DefaultUrl}; it was '{options.Url}'.", nameof(options));
        }

        ValidateMutualTls(options, url);

        if (options.AccessTokenLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException($"AccessTokenLifetime must be positive; it was {options.AccessTokenLifetime}.", nameof(options));
        }

        if (options.DeviceCodeLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException($"DeviceCodeLifetime must be positive; it was {options.DeviceCodeLifetime}.", nameof(options));
        }

        // The interval goes out in whole seconds (RFC 8628 3.2).
        if (options.DevicePollingInterval < TimeSpan.FromSeconds(1) || options.DevicePollingInterval.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentException(
                $"DevicePollingInterval must be a whole number of seconds, at least 1; it was {options.DevicePollingInterval}.", nameof(options));
        }

        if (options.AnnouncedDevicePollingInterval is { } announced && (announced < TimeSpan.FromSeconds(1) || announced.Ticks % TimeSpan.TicksPerSecond != 0))
        {
            throw new ArgumentException(
                $"AnnouncedDevicePollingInterval must be a whole number of seconds, at least 1, or null; it was {announced}.", nameof(options));
        }

        if (options.DPoPNonceRotationInterval is { } rotation && (rotation <= TimeSpan.Zero || !options.RequireDPoPNonce))
        {
            throw new ArgumentException(
                $"DPoPNonceRotationInterval must be positive and needs RequireDPoPNonce; it was {rotation} with RequireDPoPNonce {options.RequireDPoPNonce}.",
                nameof(options));
        }

        ArgumentNullException.ThrowIfNull(options.TimeProvider);
    }

    private static void ValidateMutualTls(DevServerOptions options, Uri url)
    {
        if (options.ServerCertificate is not { } server)
        {
            if (url.Scheme == Uri.UriSchemeHttps)
            {
                throw new ArgumentException(
                    $"Url '{options.Url}' is https but ServerCertificate is not set: set ServerCertificate (e.g. DevServerCertificates.CreateServerCertificate()) or use an http URL.",
                    nameof(options));
            }

            if (options.TlsClientCertificateAuthority is not null || options.SelfSignedTlsClientCertificate is not null)
            {
                throw new ArgumentException(
                    "TlsClientCertificateAuthority and SelfSignedTlsClientCertificate need mutual TLS: set ServerCertificate too.", nameof(options));
            }

            return;
        }

        if (url.Scheme != Uri.UriSchemeHttps && options.Url != DefaultUrl)
        {
            throw new ArgumentException($"Url must be an https URL such as {DefaultHttpsUrl} when ServerCertificate is set; it was '{options.Url}'.", nameof(options));
        }

        if (!server.HasPrivateKey)
        {
            throw new ArgumentException($"ServerCertificate '{server.Subject}' has no private key; TLS needs it.", nameof(options));
        }

        if (options.TlsClientCertificateAuthority is { } authority
            && (authority.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true }
                || authority.SubjectName.RawData.AsSpan().SequenceEqual(authority.IssuerName.RawData) is false))
        {
            throw new ArgumentException(
                $"TlsClientCertificateAuthority '{authority.Subject}' must be a self-signed root certificate authority (basic constraints CA, key usage keyCertSign), e.g. from DevServerCertificates.CreateAuthority().",
                nameof(options));
        }

        if (options.SelfSignedTlsClientCertificate is { } selfSigned && selfSigned.GetRSAPublicKey() is null)
        {
            throw new ArgumentException(
                $"SelfSignedTlsClientCertificate '{selfSigned.Subject}' must have an RSA key: OpenIddict takes only RSA certificates as client keys.",
                nameof(options));
        }
    }

    private static void DefaultLogging(ILoggingBuilder logging) =>
        logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning)
            // It warns at every start that its in-memory key is not encrypted at rest; it is never at rest.
            .AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);

    private static async Task SeedAsync(IServiceProvider services, JsonWebKey signedJwtKey, MutualTls? mutualTls, CancellationToken cancellationToken)
    {
        var scope = services.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            await scope.ServiceProvider.GetRequiredService<DevServerDbContext>().Database.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);

            var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
            foreach (var client in services.GetRequiredService<DevClients>().All)
            {
                await applications.CreateAsync(client.ToDescriptor(KeyOf(client, signedJwtKey, mutualTls)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static JsonWebKey? KeyOf(DevClient client, JsonWebKey signedJwtKey, MutualTls? mutualTls) => client.AuthenticationMethod switch
    {
        OpenIddictConstants.ClientAuthenticationMethods.PrivateKeyJwt => signedJwtKey,
        // As a JWK with x5c, so OpenIddict finds the certificate in the key set (not a bare RSA key).
        OpenIddictConstants.ClientAuthenticationMethods.SelfSignedTlsClientAuth => JsonWebKeyConverter.ConvertFromX509SecurityKey(
            new X509SecurityKey(mutualTls!.SelfSignedClientCertificate!), representAsRsaKey: false),
        // OpenIddict refuses a confidential client with neither a secret nor a signing key, though tls_client_auth needs
        // neither. A public key whose private half is dropped here satisfies it and lets nobody sign anything.
        OpenIddictConstants.ClientAuthenticationMethods.TlsClientAuth => UnusableSigningKey(),
        _ => null,
    };

    private static JsonWebKey UnusableSigningKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(key.ExportParameters(includePrivateParameters: false))));
    }

    // With port 0 only the running server knows its port.
    private static Uri ReadAuthority(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(new Uri(address), "/");
    }

    private static Uri? RedirectOf(HttpResponseMessage response, Uri requested) =>
        (int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location
            ? new Uri(requested, location)
            : null;

    private static List<KeyValuePair<string, string>> HiddenFields(string html) =>
        [.. HiddenInput().Matches(html).Select(match => new KeyValuePair<string, string>(
            WebUtility.HtmlDecode(match.Groups["name"].Value), WebUtility.HtmlDecode(match.Groups["value"].Value)))];

    private static string Alert(string html) =>
        AlertText().Match(html) is { Success: true } match ? WebUtility.HtmlDecode(match.Groups["text"].Value) : Shorten(html);

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]*)\" value=\"(?<value>[^\"]*)\">")]
    private static partial Regex HiddenInput();

    [GeneratedRegex("<p role=\"alert\">(?<text>[^<]*)</p>")]
    private static partial Regex AlertText();

    private sealed record TokenResponse(
        [property: JsonPropertyName("refresh_token")] string? RefreshToken,
        [property: JsonPropertyName("error")] string? Error);
}
