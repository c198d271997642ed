using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// Checks a DPoP proof (RFC 9449 section 4.3) for one request, at the token endpoint and at the API alike: a signed JWT
/// of type <c>dpop+jwt</c> with an asymmetric <c>alg</c>, a public <c>jwk</c> in its header that verifies the signature,
/// the request's method and URI (<c>htm</c>, <c>htu</c>), an <c>iat</c> within <see cref="MaxAge"/> before and
/// <see cref="MaxAhead"/> after the server's clock, a <c>jti</c> not seen before for that URI, the access token's hash
/// (<c>ath</c>) where a token is presented, and the server's nonce when one is required.
/// </summary>
internal sealed class DPoPProofValidator(TimeProvider time, DPoPNonce nonce, DPoPReplayCache replays)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan MaxAhead = TimeSpan.FromSeconds(15);

    private const string ProofType = "dpop+jwt";

    // Members of a private or symmetric JWK (RFC 7518 section 6): a proof's jwk must be a public key.
    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    // Every proof brings a new key: caching a signature provider per key would only grow.
    private static readonly CryptoProviderFactory Crypto = new() { CacheSignatureProviders = false };

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public DPoPNonce Nonce => nonce;

    /// <summary>The request's one <c>DPoP</c> header; more than one is an error (RFC 9449 section 4.3, check 1).</summary>
    /// <returns>The proof, or null with <paramref name="error"/> null when there is none.</returns>
    public static string? ReadProof(HttpRequest request, out DPoPProofResult? error)
    {
        var values = request.Headers[DPoP.ProofHeader];

        // A client may fold two headers into one line ("a, b"); a JWT holds no comma.
        error = values.Count > 1 || values.Any(value => value?.Contains(',', StringComparison.Ordinal) == true)
            ? DPoPProofResult.Invalid("Send exactly one DPoP header.")
            : null;
        return error is null && values.Count == 1 && !string.IsNullOrEmpty(values[0]) ? values[0] : null;
    }

    /// <summary>The URI a proof for <paramref name="request"/> names: scheme, host, port and path, no query or fragment.</summary>
    public static Uri TargetOf(HttpRequest request) =>
        new(UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, request.Path));

    /// <summary>base64url(SHA-256(ASCII(token))), the <c>ath</c> claim (RFC 9449 section 4.2).</summary>
    public static string HashOf(string accessToken) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));

    /// <param name="proof">The <c>DPoP</c> header's value.</param>
    /// <param name="method">The request's method.</param>
    /// <param name="target">The request's URI (see <see cref="TargetOf(HttpRequest)"/>).</param>
    /// <param name="accessToken">The access token the request presents, whose hash the proof must carry; null at the token endpoint.</param>
    public async Task<DPoPProofResult> ValidateAsync(string proof, string method, Uri target, string? accessToken)
    {
        JsonWebToken token;
        try
        {
            token = new JsonWebToken(proof);
        }
        catch (ArgumentException)
        {
            return DPoPProofResult.Invalid("The DPoP proof is not a JWT.");
        }

        if (token.IsEncrypted)
        {
            return DPoPProofResult.Invalid("The DPoP proof must be a signed JWT, not an encrypted one.");
        }

        if (!string.Equals(token.Typ, ProofType, StringComparison.Ordinal))
        {
            return DPoPProofResult.Invalid($"The DPoP proof's typ must be {ProofType}.");
        }

        if (!DPoP.Algorithms.Contains(token.Alg))
        {
            return DPoPProofResult.Invalid($"The DPoP proof's alg must be one of {string.Join(' ', DPoP.Algorithms)}.");
        }

        if (PublicKeyOf(token) is not { } key || !Fits(token.Alg, key))
        {
            return DPoPProofResult.Invalid($"The DPoP proof's header must carry the public key of its {token.Alg} signature as jwk, without private members.");
        }

        var signature = await _handler.ValidateTokenAsync(proof, new TokenValidationParameters
        {
            IssuerSigningKey = key,
            TryAllIssuerSigningKeys = true,
            ValidateIssuerSigningKey = false,
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
            ValidTypes = [ProofType],
            ValidAlgorithms = DPoP.Algorithms,
            CryptoProviderFactory = Crypto,
        }).ConfigureAwait(false);
        if (!signature.IsValid)
        {
            return DPoPProofResult.Invalid("The DPoP proof's signature does not verify with its jwk.");
        }

        if (!token.TryGetPayloadValue<string>("htm", out var htm) || !string.Equals(htm, method, StringComparison.Ordinal))
        {
            return DPoPProofResult.Invalid($"The DPoP proof's htm must be {method}.");
        }

        var expected = Normalize(target);
        if (!token.TryGetPayloadValue<string>("htu", out var htu) || Normalize(htu) != expected)
        {
            return DPoPProofResult.Invalid($"The DPoP proof's htu must be {expected}.");
        }

        var now = time.GetUtcNow();
        if (IssuedAt(token) is not { } issued || issued < now - MaxAge || issued > now + MaxAhead)
        {
            return DPoPProofResult.Invalid(
                $"The DPoP proof's iat must be within {MaxAge.TotalSeconds:0} s before and {MaxAhead.TotalSeconds:0} s after the server's clock.");
        }

        if (!token.TryGetPayloadValue<string>("jti", out var jti) || string.IsNullOrEmpty(jti))
        {
            return DPoPProofResult.Invalid("The DPoP proof needs a jti.");
        }

        if (accessToken is not null
            && (!token.TryGetPayloadValue<string>("ath", out var ath) || !string.Equals(ath, HashOf(accessToken), StringComparison.Ordinal)))
        {
            return DPoPProofResult.Invalid("The DPoP proof's ath must be the hash of the access token it comes with.");
        }

        if (nonce.Required)
        {
            var given = token.TryGetPayloadValue<string>("nonce", out var value) ? value : null;
            if (!nonce.IsCurrent(given))
            {
                return DPoPProofResult.NonceNeeded(given is null
                    ? "This server requires a nonce in DPoP proofs; use the one in the DPoP-Nonce header."
                    : "The DPoP proof's nonce is stale; use the one in the DPoP-Nonce header.");
            }
        }

        // Last, so a proof refused for another reason (a missing nonce above all) leaves no trace.
        if (!replays.TryRemember(expected, jti, issued + MaxAge))
        {
            return DPoPProofResult.Invalid("The DPoP proof's jti was used before; send a new proof with every request.");
        }

        return DPoPProofResult.Accepted(Base64UrlEncoder.Encode(key.ComputeJwkThumbprint()));
    }

    /// <summary>RFC 9449 section 4.3: the URI without query and fragment; Uri lowercases scheme and host and drops a default port.</summary>
    private static string? Normalize(string? uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && (parsed.Scheme == Uri.UriSchemeHttp || parsed.Scheme == Uri.UriSchemeHttps)
            ? Normalize(parsed)
            : null;

    private static string Normalize(Uri uri) => uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);

    private static DateTimeOffset? IssuedAt(JsonWebToken token) =>
        token.TryGetPayloadValue<long>("iat", out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds)
        : token.TryGetPayloadValue<double>("iat", out var fractional) && double.IsFinite(fractional) && Math.Abs(fractional) < 1e11
            ? DateTimeOffset.FromUnixTimeSeconds((long)fractional)
            : null;

    private static JsonWebKey? PublicKeyOf(JsonWebToken token)
    {
        try
        {
            using var header = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(token.EncodedHeader));
            if (!header.RootElement.TryGetProperty("jwk", out var jwk)
                || jwk.ValueKind != JsonValueKind.Object
                || PrivateMembers.Any(member => jwk.TryGetProperty(member, out _)))
            {
                return null;
            }

            var key = new JsonWebKey(jwk.GetRawText());
            return key.Kty is JsonWebAlgorithmsKeyTypes.EllipticCurve or JsonWebAlgorithmsKeyTypes.RSA && key.CanComputeJwkThumbprint() ? key : null;
        }
        catch (Exception exception) when (exception is JsonException or ArgumentException or FormatException)
        {
            return null;
        }
    }

    private static bool Fits(string algorithm, JsonWebKey key) =>
        algorithm.StartsWith("ES", StringComparison.Ordinal)
            ? key.Kty == JsonWebAlgorithmsKeyTypes.EllipticCurve
            : key.Kty == JsonWebAlgorithmsKeyTypes.RSA;
}
