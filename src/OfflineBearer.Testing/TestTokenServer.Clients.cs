using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using OfflineBearer.Testing.Internal;
using OpenIddict.Abstractions;

namespace OfflineBearer.Testing;

// The fixed clients and user every server has, and their registration in the store at start.
public sealed partial class TestTokenServer
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
    /// RFC 7523), checked against <see cref="TestTokenServerOptions.SignedJwtClientPublicKey"/> or the key pair the server made
    /// (<see cref="SignedJwtClientKeyPem"/>). The assertion's <c>aud</c> must be the issuer, <see cref="Authority"/>.
    /// </summary>
    public const string SignedJwtClientId = "jwt-client";

    /// <summary>
    /// Confidential client that authenticates with a certificate from a PKI (<c>tls_client_auth</c>, RFC 8705 section 2.1),
    /// with no secret: over a TLS connection whose client certificate chains to
    /// <see cref="TestTokenServerOptions.TlsClientCertificateAuthority"/> and names <see cref="TlsClientCertificateName"/> in a DNS
    /// subject alternative name. Its token requests send <c>client_id</c> in the form and no secret; its access tokens are
    /// bound to the certificate. Registered only when that option (and <see cref="TestTokenServerOptions.ServerCertificate"/>) is set.
    /// </summary>
    public const string TlsClientId = "tls-client";

    /// <summary>
    /// Confidential client without a secret that authenticates with a workload token (Keycloak's "Signed JWT - Federated"):
    /// a <c>client_assertion</c> of type <c>urn:ietf:params:oauth:client-assertion-type:jwt-bearer</c> that
    /// <see cref="WorkloadIssuer"/> signed for <see cref="WorkloadSubject"/>, its federated identity (see
    /// <see cref="TestTokenServerOptions.WorkloadSubjects"/>). The request may leave <c>client_id</c> out, as Keycloak 26.5
    /// wants, or name this client. It may use the client credentials, refresh token, jwt-bearer and token exchange grants.
    /// </summary>
    public const string WorkloadClientId = "workload-client";

    /// <summary>
    /// The subject of the tokens <see cref="TestWorkloadIssuer.CreateToken"/> makes by default: a Kubernetes service account
    /// (<c>inventory</c> in namespace <c>jobs</c>), the federated identity of <see cref="WorkloadClientId"/>.
    /// </summary>
    public const string WorkloadSubject = "system:serviceaccount:jobs:inventory";

    /// <summary>
    /// A resource indicator (RFC 8707) every server registers: a token request may name it with <c>resource</c>, and the
    /// access token then carries it in <c>aud</c>. More come from <see cref="TestTokenServerOptions.Resources"/>.
    /// </summary>
    public const string ApiResource = "https://api.offlinebearer.test/";

    /// <summary>
    /// An audience every server registers: a client credentials, jwt-bearer or token exchange request may name it with
    /// <c>audience</c>, and the access token then carries it in <c>aud</c>. More come from <see cref="TestTokenServerOptions.Audiences"/>.
    /// </summary>
    public const string ApiAudience = "downstream-api";

    /// <summary>The DNS name the certificate of <see cref="TlsClientId"/> must carry.</summary>
    public const string TlsClientCertificateName = "tls-client.offlinebearer.test";

    /// <summary>
    /// Confidential client that authenticates with a self-signed certificate (<c>self_signed_tls_client_auth</c>, RFC 8705
    /// section 2.2), with no secret: over a TLS connection whose client certificate is
    /// <see cref="TestTokenServerOptions.SelfSignedTlsClientCertificate"/>. Its token requests send <c>client_id</c> in the form and
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

    /// <summary>
    /// Changes the secret of a client that authenticates with one (<see cref="BasicClientId"/>, <see cref="PostClientId"/> or
    /// a client of <see cref="TestTokenServerOptions.Clients"/>) in the server's store, as an administrator rotating it does:
    /// from the next request on, the old secret is refused with <c>invalid_client</c> and only <paramref name="secret"/> is
    /// accepted. Tokens already issued stay valid. <see cref="SecretOf"/> keeps naming the initial secret;
    /// <see cref="ClientOptions"/> hands out the current one.
    /// </summary>
    /// <param name="clientId">The client whose secret changes.</param>
    /// <param name="secret">The new secret.</param>
    /// <param name="cancellationToken">Cancels the change.</param>
    /// <returns>A task that completes once the store holds the new secret.</returns>
    /// <exception cref="ArgumentException"><paramref name="secret"/> is empty.</exception>
    /// <exception cref="InvalidOperationException">The server has no such client, or the client proves itself without a secret.</exception>
    public async Task SetClientSecretAsync(string clientId, string secret, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var client = _clients.Find(clientId)
            ?? throw new InvalidOperationException(
                $"{nameof(TestTokenServer)} has no client '{clientId}': name it in {nameof(TestTokenServerOptions)}.{nameof(TestTokenServerOptions.Clients)}.");
        if (client.ClientSecret is null)
        {
            throw new InvalidOperationException(
                $"The client '{clientId}' authenticates with {client.AuthenticationMethod}, not a secret: it has no secret to change.");
        }

        var scope = _app.Services.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
            var application = await applications.FindByClientIdAsync(clientId, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"The client '{clientId}' is missing from the server's store.");
            await applications.UpdateAsync(application, secret, cancellationToken).ConfigureAwait(false);
        }

        _currentSecrets[clientId] = secret;
    }

    /// <summary>The secret a client has now: the one <see cref="SetClientSecretAsync"/> set last, else its initial one.</summary>
    private string? CurrentSecretOf(DevClient client) =>
        _currentSecrets.TryGetValue(client.ClientId, out var secret) ? secret : client.ClientSecret;

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
        // A workload client proves itself with a token of another issuer, checked by WorkloadClientAssertionCheck.
        OpenIddictConstants.ClientAuthenticationMethods.TlsClientAuth or WorkloadIdentity.AuthenticationMethod => UnusableSigningKey(),
        _ => null,
    };

    private static JsonWebKey UnusableSigningKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(key.ExportParameters(includePrivateParameters: false))));
    }
}
