using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OfflineBearer.IntegrationTests.Grpc;

/// <summary>
/// RFC 9449 section 4.3 and 7 for the gRPC service: one proof, typed <c>dpop+jwt</c>, signed by the key in its header,
/// whose thumbprint the token's <c>cnf.jkt</c> names, for this call's method and URI and this very token (<c>ath</c>),
/// issued within a minute of the test's clock, and never seen before (<c>jti</c>).
/// </summary>
internal sealed class DPoPProofCheck(TimeProvider time)
{
    private static readonly TimeSpan IssuedWithin = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);

    /// <summary>The token's <c>cnf.jkt</c>, or null for a bearer token.</summary>
    public static string? ConfirmationOf(JsonWebToken token)
    {
        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(token.EncodedPayload));
        return payload.RootElement.TryGetProperty("cnf", out var cnf) && cnf.TryGetProperty("jkt", out var jkt) ? jkt.GetString() : null;
    }

    /// <summary>Why the call's proof does not hold, or null when it does.</summary>
    public async Task<string?> RefusalAsync(HttpRequest request, string accessToken, string boundTo)
    {
        if (request.Headers["DPoP"] is not [{ } proof])
        {
            return "One DPoP proof is needed.";
        }

        var jwt = new JsonWebToken(proof);
        using var header = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedHeader));
        if (!header.RootElement.TryGetProperty("jwk", out var jwk))
        {
            return "The proof has no jwk.";
        }

        var key = new JsonWebKey(jwk.GetRawText());
        var signed = await new JsonWebTokenHandler().ValidateTokenAsync(proof, new TokenValidationParameters
        {
            IssuerSigningKey = key,
            ValidTypes = ["dpop+jwt"],
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
        });
        if (!signed.IsValid)
        {
            return "The proof's signature or type is not valid.";
        }

        var uri = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}";
        var ath = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(jwt.GetPayloadValue<long>("iat"));
        return Base64UrlEncoder.Encode(key.ComputeJwkThumbprint()) != boundTo ? "The proof is signed by another key than the token is bound to."
            : jwt.GetPayloadValue<string>("htm") != request.Method ? "The proof is for another method."
            : jwt.GetPayloadValue<string>("htu") != uri ? "The proof is for another URI."
            : jwt.GetPayloadValue<string>("ath") != ath ? "The proof is for another token."
            : (time.GetUtcNow() - issuedAt).Duration() > IssuedWithin ? "The proof was not issued now."
            : !_seen.TryAdd(jwt.GetPayloadValue<string>("jti"), 0) ? "The proof was used before."
            : null;
    }
}
