using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OfflineBearer.DevServer.Internal;

/// <summary>One client the server registers at start, with the way it must authenticate.</summary>
internal sealed record DevClient(string ClientId, string? ClientSecret, string AuthenticationMethod)
{
    public static readonly IReadOnlyList<DevClient> All =
    [
        new(DevServer.BasicClientId, DevServer.BasicClientSecret, ClientAuthenticationMethods.ClientSecretBasic),
        new(DevServer.PostClientId, DevServer.PostClientSecret, ClientAuthenticationMethods.ClientSecretPost),
        new(DevServer.PublicClientId, null, ClientAuthenticationMethods.None),
        new(DevServer.SignedJwtClientId, null, ClientAuthenticationMethods.PrivateKeyJwt),
    ];

    public static DevClient? Find(string? clientId) => All.FirstOrDefault(client => client.ClientId == clientId);

    /// <summary>A client with a secret or a key; the public client has neither.</summary>
    public bool IsConfidential => AuthenticationMethod != ClientAuthenticationMethods.None;

    /// <param name="signedJwtKey">The public key of the <c>private_key_jwt</c> client.</param>
    public OpenIddictApplicationDescriptor ToDescriptor(JsonWebKey signedJwtKey)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = ClientId,
            ClientSecret = ClientSecret,
            ClientType = IsConfidential ? ClientTypes.Confidential : ClientTypes.Public,
            DisplayName = ClientId,
        };

        if (AuthenticationMethod == ClientAuthenticationMethods.PrivateKeyJwt)
        {
            // No secret: OpenIddict checks the client assertion's signature against this key set.
            descriptor.JsonWebKeySet = new JsonWebKeySet { Keys = { signedJwtKey } };
        }

        descriptor.Permissions.UnionWith(
        [
            Permissions.Endpoints.Token,
            Permissions.Endpoints.Revocation,
            // Also what lets offline_access through: OpenIddict checks no scope permission for it.
            Permissions.GrantTypes.RefreshToken,
            Permissions.Prefixes.Scope + DevServer.ApiScope,
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
        descriptor.RedirectUris.Add(new Uri(DevServer.LoopbackRedirectUri));
        descriptor.RedirectUris.Add(new Uri($"http://[::1]{DevServer.LoopbackRedirectPath}"));
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
