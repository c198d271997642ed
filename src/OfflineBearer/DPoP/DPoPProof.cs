namespace OfflineBearer.DPoP;

/// <summary>
/// One signed DPoP proof and the server nonce it carries, if any: a nonce challenge to the request it goes with is
/// answered only when it names another nonce than this one.
/// </summary>
/// <param name="Jwt">The proof, the value of the <c>DPoP</c> request header.</param>
/// <param name="Nonce">The <c>nonce</c> claim of the proof, or null when the origin had given none.</param>
internal readonly record struct DPoPProof(string Jwt, string? Nonce);
