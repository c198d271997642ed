using System.Collections.Immutable;
using System.Security.Claims;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OfflineBearer.Testing.Internal;

/// <summary>Whom a token is for: the subject (a user or a client acting for itself) and the scopes granted.</summary>
internal static class UserPrincipal
{
    public static ClaimsPrincipal Create(string subject, ImmutableArray<string> scopes)
    {
        var identity = new ClaimsIdentity(
            authenticationType: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme,
            nameType: Claims.Name,
            roleType: Claims.Role);

        identity.SetClaim(Claims.Subject, subject).SetClaim(Claims.Name, subject);
        identity.SetScopes(scopes);
        identity.SetDestinations(static _ => [Destinations.AccessToken]);

        return new ClaimsPrincipal(identity);
    }
}
