using System.Security.Claims;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// DPoP at the protected API (RFC 9449 section 7), once OpenIddict has validated the access token itself. A token whose
/// <c>cnf</c> names a key must come as <c>Authorization: DPoP</c> with a proof of that key for this very request (method,
/// URI, the token's hash, a fresh <c>jti</c>, the nonce if required); a token without <c>cnf</c> must come as Bearer.
/// </summary>
internal sealed class DPoPResourceCheck(DPoPProofValidator validator, TokenLedger stats)
{
    /// <summary>A 401 for a DPoP request whose token OpenIddict refused (expired, revoked, not genuine).</summary>
    public DPoPChallenge InvalidToken(string description) => Challenge("invalid_token", description);

    /// <returns>Null when the request may go on; otherwise the 401 to answer.</returns>
    public async Task<DPoPChallenge?> CheckAsync(HttpRequest request, ClaimsPrincipal principal)
    {
        var thumbprint = DPoP.ReadConfirmation(principal).Thumbprint;
        var dpopToken = DPoPAccessTokenExtractor.AccessTokenOf(request);
        if (thumbprint is null)
        {
            return dpopToken is null
                ? null
                : Refuse("invalid_token", "The access token is not DPoP-bound; send it with the Bearer scheme.");
        }

        if (dpopToken is null)
        {
            return Refuse("invalid_token", "The access token is DPoP-bound; send it with the DPoP scheme and a DPoP proof.");
        }

        var proof = DPoPProofValidator.ReadProof(request, out var malformed);
        if (malformed is not null || proof is null)
        {
            return Refuse(DPoP.InvalidProof, malformed?.Description ?? "A DPoP-bound access token needs a DPoP proof in the DPoP header.");
        }

        var result = await validator.ValidateAsync(proof, request.Method, DPoPProofValidator.TargetOf(request), dpopToken).ConfigureAwait(false);
        if (result.NeedsNonce)
        {
            stats.RecordApiDPoP(DPoPOutcome.NonceChallenge);
            return Challenge(DPoP.UseNonce, result.Description!);
        }

        if (!result.Succeeded)
        {
            return Refuse(DPoP.InvalidProof, result.Description!);
        }

        if (!string.Equals(result.Thumbprint, thumbprint, StringComparison.Ordinal))
        {
            return Refuse(DPoP.InvalidProof, "The DPoP proof is signed with another key than the one the access token is bound to.");
        }

        stats.RecordApiDPoP(DPoPOutcome.Accepted);
        if (validator.Nonce.Required)
        {
            request.HttpContext.Response.Headers[DPoP.NonceHeader] = validator.Nonce.Current;
        }

        return null;
    }

    private DPoPChallenge Refuse(string error, string description)
    {
        stats.RecordApiDPoP(DPoPOutcome.Refused);
        return Challenge(error, description);
    }

    private DPoPChallenge Challenge(string error, string description) =>
        new(error, description, validator.Nonce.Required ? validator.Nonce.Current : null);
}
