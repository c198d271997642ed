namespace OfflineBearer.Testing.Internal;

/// <summary>What became of a request's DPoP proof, for <see cref="TokenLedger"/>.</summary>
internal enum DPoPOutcome
{
    /// <summary>The proof was valid and fitted the token or refresh token.</summary>
    Accepted,

    /// <summary>The proof was missing where needed, invalid, replayed, or of another key.</summary>
    Refused,

    /// <summary>The proof lacked the current nonce: answered <c>use_dpop_nonce</c> with a <c>DPoP-Nonce</c> header.</summary>
    NonceChallenge,
}
