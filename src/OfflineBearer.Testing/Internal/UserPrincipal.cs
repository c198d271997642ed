using System.Collections.Immutable;
using System.Security.Claims;
using System.Text.Json.Nodes;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// Whom a token is for: the subject (a user, a workload, or a client acting for itself), the scopes granted, the
/// resources and audiences it is meant for (its <c>aud</c>), and who acts for the subject, if anyone (RFC 8693 <c>act</c>).
/// </summary>
internal static class UserPrincipal
{
    /// <summary>The actor claim of RFC 8693 section 4.1; OpenIddict's <c>Claims.Actor</c> is another one, "actor".</summary>
    public const string ActorClaim = "act";

    public static ClaimsPrincipal Create(string subject, ImmutableArray<string> scopes, IEnumerable<string>? audiences = null, string? actor = null)
    {
        var identity = new ClaimsIdentity(
            authenticationType: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme,
            nameType: Claims.Name,
            roleType: Claims.Role);

        identity.SetClaim(Claims.Subject, subject).SetClaim(Claims.Name, subject);
        identity.SetScopes(scopes);
        // OpenIddict writes a token's resources as its "aud".
        identity.SetResources(audiences?.Distinct(StringComparer.Ordinal) ?? []);
        if (actor is not null)
        {
            identity.SetClaim(ActorClaim, new JsonObject { [Claims.Subject] = actor });
        }

        identity.SetDestinations(static _ => [Destinations.AccessToken]);

        return new ClaimsPrincipal(identity);
    }
}
