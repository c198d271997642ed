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
    ];

    public static DevClient? Find(string? clientId) => All.FirstOrDefault(client => client.ClientId == clientId);

    public OpenIddictApplicationDescriptor ToDescriptor()
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = ClientId,
            ClientSecret = ClientSecret,
            ClientType = ClientSecret is null ? ClientTypes.Public : ClientTypes.Confidential,
            DisplayName = ClientId,
        };

        descriptor.Permissions.UnionWith(
        [
            Permissions.Endpoints.Token,
            Permissions.Endpoints.Revocation,
            // Also what lets offline_access through: OpenIddict checks no scope permission for it.
            Permissions.GrantTypes.RefreshToken,
            Permissions.Prefixes.Scope + DevServer.ApiScope,
        ]);

        // Confidential clients act for themselves; the public client signs a user in, as a device app would.
        descriptor.Permissions.Add(ClientSecret is null ? Permissions.GrantTypes.Password : Permissions.GrantTypes.ClientCredentials);

        return descriptor;
    }
}
