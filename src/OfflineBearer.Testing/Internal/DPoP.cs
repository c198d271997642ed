using System.Collections.Immutable;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenIddict.Abstractions;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// The names of DPoP (RFC 9449) as this server uses them, and the reading of a token's confirmation (<c>cnf</c>, RFC 7800).
/// </summary>
internal static class DPoP
{
    /// <summary>The request header with the proof, the response header with a nonce, the scheme and token_type.</summary>
    public const string ProofHeader = "DPoP";
    public const string NonceHeader = "DPoP-Nonce";
    public const string Scheme = "DPoP";

    public const string InvalidProof = "invalid_dpop_proof";
    public const string UseNonce = "use_dpop_nonce";

    public const string ConfirmationClaim = "cnf";
    public const string ThumbprintMember = "jkt";
    public const string CertificateThumbprintMember = "x5t#S256";

    /// <summary>
    /// A public client's refresh token names its key here rather than in <c>cnf</c>: OpenIddict 7.8 validates a refresh
    /// token's <c>cnf</c> as mTLS and throws ID2196 for one without <c>x5t#S256</c>.
    /// </summary>
    public const string RefreshTokenThumbprintClaim = "dev_dpop_jkt";

    /// <summary>Where the token endpoint's check leaves the proof's key thumbprint for the sign-in handlers.</summary>
    public const string TransactionThumbprint = "offlinebearer.devserver:dpop_jkt";

    /// <summary>The proof algorithms accepted and announced (<c>dpop_signing_alg_values_supported</c>, <c>algs</c>).</summary>
    public static readonly ImmutableArray<string> Algorithms = ["ES256", "ES384", "ES512", "RS256", "PS256"];

    /// <summary>
    /// The <c>cnf</c> of a DPoP-bound access token. A token OpenIddict has already bound to the client's TLS certificate
    /// (<c>x5t#S256</c>, RFC 8705) keeps that binding, so the API then wants both the certificate and the proof.
    /// </summary>
    public static JsonObject Confirmation(string thumbprint, string? existing = null)
    {
        var confirmation = existing is { Length: > 0 } && JsonNode.Parse(existing) is JsonObject bound ? bound : [];
        confirmation[ThumbprintMember] = thumbprint;
        return confirmation;
    }

    /// <summary>The <c>cnf</c> of a token's principal: its <c>jkt</c>, and whether it binds a certificate too.</summary>
    /// <returns>(null, false) when there is no <c>cnf</c> or it is not a JSON object.</returns>
    public static (string? Thumbprint, bool Certificate) ReadConfirmation(ClaimsPrincipal? principal)
    {
        if (principal?.GetClaim(ConfirmationClaim) is not { Length: > 0 } value)
        {
            return (null, false);
        }

        try
        {
            using var document = JsonDocument.Parse(value);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, false);
            }

            var thumbprint = document.RootElement.TryGetProperty(ThumbprintMember, out var jkt) && jkt.ValueKind == JsonValueKind.String
                ? jkt.GetString()
                : null;
            return (thumbprint, document.RootElement.TryGetProperty(CertificateThumbprintMember, out _));
        }
        catch (JsonException)
        {
            return (null, false);
        }
    }
}
