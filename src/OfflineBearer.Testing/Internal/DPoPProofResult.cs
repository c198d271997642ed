namespace OfflineBearer.Testing.Internal;

/// <summary>
/// The outcome of checking one DPoP proof: the thumbprint of its key when accepted, else the OAuth error
/// (<c>invalid_dpop_proof</c> or <c>use_dpop_nonce</c>) and a description a person can act on.
/// </summary>
internal sealed record DPoPProofResult(string? Thumbprint, string? Error, string? Description)
{
    public bool Succeeded => Error is null;

    public bool NeedsNonce => Error == DPoP.UseNonce;

    public static DPoPProofResult Accepted(string thumbprint) => new(thumbprint, null, null);

    public static DPoPProofResult Invalid(string description) => new(null, DPoP.InvalidProof, description);

    public static DPoPProofResult NonceNeeded(string description) => new(null, DPoP.UseNonce, description);
}
