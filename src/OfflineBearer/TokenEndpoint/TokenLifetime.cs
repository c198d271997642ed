using Microsoft.IdentityModel.JsonWebTokens;
using OfflineBearer.JwtClaims;

namespace OfflineBearer.TokenEndpoint;

/// <summary>
/// Reads how long an access token lives. The JWT's own claims are the truth; <c>expires_in</c> is the fallback.
/// The signature is not checked: this client is not the token's audience and only schedules its refresh.
/// </summary>
internal static class TokenLifetime
{
    /// <summary><c>iat</c> and <c>exp</c> are whole seconds, so one second is kept in hand.</summary>
    internal static readonly TimeSpan Margin = TimeSpan.FromSeconds(1);

    /// <summary>Longer lifetimes are clamped, so that timestamp arithmetic never overflows.</summary>
    internal static readonly TimeSpan Longest = TimeSpan.FromDays(3650);

    /// <summary>
    /// The lifetime counted from the moment the token request was sent, or null when it is unknown (then the token is
    /// used until the API answers 401).
    /// </summary>
    /// <param name="accessToken">The access token as received; JWT or opaque.</param>
    /// <param name="expiresIn">The response's <c>expires_in</c> in seconds, if it had a usable one.</param>
    /// <param name="now">The local wall-clock time, used only when the JWT has <c>exp</c> but no <c>iat</c>.</param>
    public static TimeSpan? Read(string accessToken, long? expiresIn, DateTimeOffset now)
    {
        var fromJwt = ReadJwt(accessToken, now);
        if (fromJwt is { } jwtLifetime && jwtLifetime > Margin)
        {
            return Clamp(jwtLifetime - Margin);
        }

        // No exp, or an exp that is already past by the local clock: a skewed clock is likelier than a server that
        // mints dead tokens, so the server's expires_in decides, and without it the API is the judge.
        if (expiresIn is { } seconds && seconds > 1)
        {
            return Clamp(TimeSpan.FromSeconds(Math.Min(seconds, 2 * Longest.TotalSeconds)) - Margin);
        }

        return null;
    }

    /// <summary><c>exp - iat</c> when both are present (immune to a skewed local clock), else <c>exp - now</c>.</summary>
    private static TimeSpan? ReadJwt(string accessToken, DateTimeOffset now)
    {
        if (UnverifiedJwt.Parse(accessToken) is not { } jwt || jwt.IsEncrypted || !UnverifiedJwt.TryReadNumericDate(jwt, JwtRegisteredClaimNames.Exp, out var exp))
        {
            return null;
        }

        return UnverifiedJwt.TryReadNumericDate(jwt, JwtRegisteredClaimNames.Iat, out var iat)
            ? TimeSpan.FromSeconds(exp - iat)
            : TimeSpan.FromSeconds(exp - now.ToUnixTimeMilliseconds() / 1000.0);
    }

    private static TimeSpan Clamp(TimeSpan lifetime) => lifetime > Longest ? Longest : lifetime;
}
