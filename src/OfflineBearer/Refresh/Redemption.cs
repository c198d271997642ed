using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Refresh;

/// <summary>What a token request ran and why; the one answer to "which grant, and what became of the refresh token".</summary>
internal enum RedemptionKind
{
    /// <summary>The refresh token was redeemed.</summary>
    Refreshed,

    /// <summary>The server refused the refresh token for good; a confidential client started a new session with client_credentials.</summary>
    RefreshTokenRefused,

    /// <summary>No refresh token was offered; client_credentials.</summary>
    ClientCredentials,
}

/// <summary>A token server's answer and the decision that got it.</summary>
/// <param name="Response">The token response.</param>
/// <param name="Kind">Which grant ran, and why.</param>
internal readonly record struct Redemption(TokenResponse Response, RedemptionKind Kind)
{
    /// <summary>The <c>grant_type</c> that got <see cref="Response"/>.</summary>
    public string Grant => Kind == RedemptionKind.Refreshed ? GrantTypes.RefreshToken : GrantTypes.ClientCredentials;

    /// <summary>Never prints the response.</summary>
    public override string ToString() => $"Redemption {Kind}";
}
