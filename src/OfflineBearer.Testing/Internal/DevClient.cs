using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OfflineBearer.Testing.Internal;

/// <summary>One client the server registers at start, with the way it must authenticate.</summary>
internal sealed record DevClient(string ClientId, string? ClientSecret, string AuthenticationMethod)
{
    public static readonly IReadOnlyList<DevClient> All =
    [
        new(TestTokenServer.BasicClientId, TestTokenServer.BasicClientSecret, ClientAuthenticationMethods.ClientSecretBasic),
        new(TestTokenServer.PostClientId, TestTokenServer.PostClientSecret, ClientAuthenticationMethods.ClientSecretPost),
        new(TestTokenServer.PublicClientId, null, ClientAuthenticationMethods.None),
        new(TestTokenServer.SignedJwtClientId, null, ClientAuthenticationMethods.PrivateKeyJwt),
        new(TestTokenServer.WorkloadClientId, null, WorkloadIdentity.AuthenticationMethod),
    ];

    /// <summary>The clients that authenticate with a TLS client certificate, registered only on a server with one.</summary>
    public static readonly DevClient TlsClient = new(TestTokenServer.TlsClientId, null, ClientAuthenticationMethods.TlsClientAuth);

    /// <inheritdoc cref="TlsClient"/>
    public static readonly DevClient SelfSignedTlsClient = new(TestTokenServer.SelfSignedTlsClientId, null, ClientAuthenticationMethods.SelfSignedTlsClientAuth);

    /// <summary>A client that <see cref="TestTokenServerOptions.Clients"/> names: a secret of its name, sent in a Basic header.</summary>
    public static DevClient Named(string clientId) => new(clientId, TestTokenServer.SecretOf(clientId), ClientAuthenticationMethods.ClientSecretBasic);

    public static DevClient? Find(string? clientId) => All.FirstOrDefault(client => client.ClientId == clientId);

    /// <summary>A client with a secret, a key or a certificate; the public client has none.</summary>
    public bool IsConfidential => AuthenticationMethod != ClientAuthenticationMethods.None;

    /// <summary>A client that authenticates with its TLS client certificate (RFC 8705 section 2).</summary>
    public bool UsesCertificate => AuthenticationMethod is ClientAuthenticationMethods.TlsClientAuth or ClientAuthenticationMethods.SelfSignedTlsClientAuth;

    /// <param name="key">
    /// The client's public key, for a client without a secret: the <c>private_key_jwt</c> client's key, the self-signed
    /// certificate of the <c>self_signed_tls_client_auth</c> client, or a key nobody holds for the <c>tls_client_auth</c> and
    /// workload clients.
    /// </param>
    public OpenIddictApplicationDescriptor ToDescriptor(JsonWebKey? key)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = ClientId,
            ClientSecret = ClientSecret,
            ClientType = IsConfidential ? ClientTypes.Confidential : ClientTypes.Public,
            DisplayName = ClientId,
        };

        if (key is not null)
        {
            // No secret: OpenIddict checks a client assertion's signature against this key set, takes a self-signed client
            // certificate found in it, and insists that a confidential client without a secret has a signing key in it.
            descriptor.JsonWebKeySet = new JsonWebKeySet { Keys = { key } };
        }

        if (AuthenticationMethod == ClientAuthenticationMethods.TlsClientAuth)
        {
            // OpenIddict 7.8 ties a PKI certificate to its client by name: one of the certificate's subject alternative
            // names must match the host of one of the client's redirect URIs. Nothing is ever redirected there.
            descriptor.RedirectUris.Add(new Uri($"https://{TestTokenServer.TlsClientCertificateName}/"));
        }

        descriptor.Permissions.UnionWith(
        [
            Permissions.Endpoints.Token,
            Permissions.Endpoints.Revocation,
            // Also what lets offline_access through: OpenIddict checks no scope permission for it.
            Permissions.GrantTypes.RefreshToken,
            // Every client may trade a token: one this server issued (RFC 8693) or a workload token (RFC 7523).
            Permissions.GrantTypes.TokenExchange,
            Permissions.Prefixes.GrantType + JwtBearerGrantCheck.GrantType,
            Permissions.Prefixes.Scope + TestTokenServer.ApiScope,
        ]);

        if (IsConfidential)
        {
            // Confidential clients act for themselves.
            descriptor.Permissions.Add(Permissions.GrantTypes.ClientCredentials);
            return descriptor;
        }

        // The public client signs a user in, as a device or command-line app would: password grant, a browser login
        // (authorization code with PKCE) or the device flow. As a native application (RFC 8252 7.3) its loopback
        // redirect URIs, registered without a port, accept any port.
        descriptor.ApplicationType = ApplicationTypes.Native;
        descriptor.RedirectUris.Add(new Uri(TestTokenServer.LoopbackRedirectUri));
        descriptor.RedirectUris.Add(new Uri($"http://[::1]{TestTokenServer.LoopbackRedirectPath}"));
        descriptor.Permissions.UnionWith(
        [
            Permissions.GrantTypes.Password,
            Permissions.Endpoints.Authorization,
            Permissions.GrantTypes.AuthorizationCode,
            Permissions.ResponseTypes.Code,
            Permissions.Endpoints.DeviceAuthorization,
            Permissions.GrantTypes.DeviceCode,
        ]);

        return descriptor;
    }
}
