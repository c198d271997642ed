using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;

namespace OfflineBearer.JwtClaims;

/// <summary>
/// Reads the claims of a JWT without checking it: this client is never a token's audience, it only needs to know when an
/// access token, a platform's assertion or a subject token expires. Nothing here trusts what it reads.
/// </summary>
internal static class UnverifiedJwt
{
    private static readonly JsonWebTokenHandler Handler = new();

    /// <summary>The token as a JWT, or null when it is not one (an opaque token, which is normal).</summary>
    public static JsonWebToken? Parse(string token)
    {
        if (!Handler.CanReadToken(token))
        {
            return null;
        }

        try
        {
            return new JsonWebToken(token);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or JsonException)
        {
            // Not a JWT after all (bad base64url, a payload that is not JSON).
            return null;
        }
    }

    /// <summary>Whether <paramref name="token"/> is a JWT whose claims can be read (signed, not encrypted).</summary>
    public static bool IsReadable(string token) => Parse(token) is { IsEncrypted: false };

    /// <summary>The <c>exp</c> of a readable JWT, or null when <paramref name="token"/> is not one or has none.</summary>
    public static DateTimeOffset? ReadExpiry(string token) =>
        Parse(token) is { IsEncrypted: false } jwt && TryReadNumericDate(jwt, JwtRegisteredClaimNames.Exp, out var exp)
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)(exp * 1000))
            : null;

    /// <summary>
    /// A NumericDate (RFC 7519 section 2) is a JSON number. The JWT library also reads a numeric string as one, and that
    /// leniency is kept; any other value does not count.
    /// </summary>
    public static bool TryReadNumericDate(JsonWebToken jwt, string claim, out double seconds)
    {
        seconds = 0;
        if (!jwt.TryGetPayloadValue<object>(claim, out var value))
        {
            return false;
        }

        seconds = value switch
        {
            long l => l,
            int i => i,
            double d => d,
            decimal m => (double)m,
            JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
            _ => double.NaN,
        };
        return double.IsFinite(seconds) && Math.Abs(seconds) < 1e11;
    }
}
