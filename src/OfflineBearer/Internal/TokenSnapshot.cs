using System.Net.Http.Headers;

namespace OfflineBearer.Internal;

/// <summary>
/// One access token and the moments that matter for it, as <see cref="TimeProvider.GetTimestamp"/> values so that a
/// change of the wall clock does not move them. Immutable: the holder swaps whole snapshots, readers take no lock.
/// </summary>
internal sealed class TokenSnapshot
{
    public TokenSnapshot(string accessToken, long refreshAt, long mustRefreshAt, long expiresAt)
    {
        Header = new AuthenticationHeaderValue("Bearer", accessToken);
        RefreshAt = refreshAt;
        MustRefreshAt = mustRefreshAt;
        ExpiresAt = expiresAt;
    }

    /// <summary>
    /// The token itself, as the header every request carries: built once per token, and shared by requests because
    /// <see cref="AuthenticationHeaderValue"/> is immutable.
    /// </summary>
    public AuthenticationHeaderValue Header { get; }

    /// <summary>From here one background refresh starts while callers keep this token.</summary>
    public long RefreshAt { get; }

    /// <summary>From here callers wait for a new token (the refresh window); the token is still sent if none comes.</summary>
    public long MustRefreshAt { get; }

    /// <summary>From here the token is not sent any more. <see cref="long.MaxValue"/> when the lifetime is unknown.</summary>
    public long ExpiresAt { get; }

    public bool IsExpired(long now) => now >= ExpiresAt;

    /// <summary>Never prints the token.</summary>
    public override string ToString() => "TokenSnapshot (token redacted)";
}
