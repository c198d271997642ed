using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using OfflineBearer.Testing.Internal;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OfflineBearer.Testing;

// The handler settings of each client, so a test configures its service against this server in one line.
public sealed partial class TestTokenServer
{
    /// <summary>The scope <see cref="ClientOptions"/> asks for: <c>offline_access</c>, so refresh tokens come, and <see cref="ApiScope"/>.</summary>
    public const string OfflineScope = $"{Scopes.OfflineAccess} {ApiScope}";

    /// <summary>
    /// The secret of a client with one: <see cref="BasicClientSecret"/>, <see cref="PostClientSecret"/>, or for a client that
    /// <see cref="TestTokenServerOptions.Clients"/> names, <c>{clientId}-secret</c>.
    /// </summary>
    /// <param name="clientId">The client's id.</param>
    /// <returns>The secret the server registers for it.</returns>
    /// <exception cref="ArgumentException">A fixed client without a secret (public, <c>private_key_jwt</c>, certificate, workload).</exception>
    public static string SecretOf(string clientId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        return clientId switch
        {
            BasicClientId => BasicClientSecret,
            PostClientId => PostClientSecret,
            PublicClientId or SignedJwtClientId or TlsClientId or SelfSignedTlsClientId or WorkloadClientId =>
                throw new ArgumentException($"The client '{clientId}' has no secret: it proves itself another way.", nameof(clientId)),
            _ => $"{clientId}-secret",
        };
    }

    /// <summary>
    /// Settings that make an OfflineBearer handler this client of this server:
    /// <c>services.AddHttpClient("inventory").AddOfflineBearerHandler(idp.ClientOptions("svc"))</c>. They set the
    /// <see cref="OfflineBearerOptions.Authority"/>, the client's id and its credential (the secret it has now, see
    /// <see cref="SetClientSecretAsync"/>; or the signing key of
    /// <see cref="SignedJwtClientId"/> the server made), its authentication method, and <see cref="OfflineScope"/>; the
    /// handler's own defaults (retries, timeouts, refresh point) stay as a user gets them. Call the action inside your own
    /// to change more, e.g. <c>o => { idp.ClientOptions("svc")(o); o.DPoP = true; }</c>.
    /// </summary>
    /// <param name="clientId">A client of <see cref="TestTokenServerOptions.Clients"/>, <see cref="BasicClientId"/>,
    /// <see cref="PostClientId"/>, <see cref="SignedJwtClientId"/> or <see cref="PublicClientId"/>.</param>
    /// <param name="refreshToken">
    /// The offline token the handler starts from; required for <see cref="PublicClientId"/>, which has no credential of its
    /// own (<see cref="GetPublicClientOfflineTokenAsync"/>, <see cref="LogInAsync"/> or the device flow get one).
    /// </param>
    /// <returns>The settings, applied to the options the handler binds.</returns>
    /// <exception cref="InvalidOperationException">
    /// The server has no such client, or cannot hold its credential: <see cref="WorkloadClientId"/>, a certificate client (give it your certificate and
    /// trust the server with <see cref="CreateHttpHandler"/>), <see cref="SignedJwtClientId"/> with a public key you gave
    /// (sign with your private half), or <see cref="PublicClientId"/> without <paramref name="refreshToken"/>.
    /// </exception>
    public Action<OfflineBearerOptions> ClientOptions(string clientId, string? refreshToken = null)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        var client = _clients.Find(clientId)
            ?? throw new InvalidOperationException(
                $"{nameof(TestTokenServer)} has no client '{clientId}': name it in {nameof(TestTokenServerOptions)}.{nameof(TestTokenServerOptions.Clients)}.");
        var method = client.AuthenticationMethod switch
        {
            ClientAuthenticationMethods.ClientSecretBasic => ClientAuthenticationMethod.ClientSecretBasic,
            ClientAuthenticationMethods.ClientSecretPost => ClientAuthenticationMethod.ClientSecretPost,
            ClientAuthenticationMethods.PrivateKeyJwt when SignedJwtClientKeyPem is not null => ClientAuthenticationMethod.PrivateKeyJwt,
            // A public client is one with no secret, key or certificate; the method is then moot.
            ClientAuthenticationMethods.None when refreshToken is not null => ClientAuthenticationMethod.ClientSecretPost,
            _ => throw new InvalidOperationException(client.AuthenticationMethod switch
            {
                ClientAuthenticationMethods.None =>
                    $"The public client '{clientId}' has no credential: pass the refreshToken of a user (e.g. from {nameof(GetPublicClientOfflineTokenAsync)}).",
                WorkloadIdentity.AuthenticationMethod =>
                    $"The client '{clientId}' proves itself with a workload token: give the handler {nameof(WorkloadIssuer)}.{nameof(TestWorkloadIssuer.CreateToken)}() as its client assertion.",
                ClientAuthenticationMethods.PrivateKeyJwt =>
                    $"The server holds only the public key you gave for '{clientId}': set {nameof(OfflineBearerOptions.SigningKey)} to its private half yourself.",
                _ => $"The server holds only the public part of the certificate of '{clientId}': set {nameof(OfflineBearerOptions.ClientCertificate)} to yours " +
                    $"and trust the server with {nameof(CreateHttpHandler)} on the token endpoint client.",
            }),
        };

        var authority = Authority.ToString();
        var secret = CurrentSecretOf(client);
        var keyPem = method == ClientAuthenticationMethod.PrivateKeyJwt ? SignedJwtClientKeyPem : null;
        return options =>
        {
            ArgumentNullException.ThrowIfNull(options);
            options.Authority = authority;
            options.ClientId = client.ClientId;
            options.ClientSecret = secret;
            options.ClientAuthentication = method;
            options.Scope = OfflineScope;
            if (refreshToken is not null)
            {
                options.RefreshToken = refreshToken;
            }

            if (keyPem is not null)
            {
                options.SigningKey = SigningKeyOf(keyPem);
            }
        };
    }

    // A key per options instance: the handler keeps it for the life of the service provider.
    private static ECDsaSecurityKey SigningKeyOf(string pem)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        return new ECDsaSecurityKey(key);
    }
}
