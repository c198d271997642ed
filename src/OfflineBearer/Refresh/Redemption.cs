using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Refresh;

/// <summary>What a token request ran and why; the one answer to "which grant, and what became of the refresh token".</summary>
internal enum RedemptionKind
{
    /// <summary>The refresh token was redeemed.</summary>
    Refreshed,

    /// <summary>The server refused the refresh token for good; the client started a new session with its grant.</summary>
    RefreshTokenRefused,

    /// <summary>No refresh token was offered; the client's grant ran (<see cref="OfflineBearerOptions.Grant"/>).</summary>
    Granted,
}

/// <summary>A token server's answer and the decision that got it.</summary>
/// <param name="Response">The token response.</param>
/// <param name="Kind">Which grant ran, and why.</param>
/// <param name="Grant">The <c>grant_type</c> that got <see cref="Response"/>.</param>
internal readonly record struct Redemption(TokenResponse Response, RedemptionKind Kind, string Grant)
{
    /// <summary>When the token must be replaced at the latest, whatever its own lifetime (a subject token's expiry).</summary>
    public DateTimeOffset? NotAfter { get; init; }

    /// <summary>Never prints the response.</summary>
    public override string ToString() => $"Redemption {Kind}";
}
