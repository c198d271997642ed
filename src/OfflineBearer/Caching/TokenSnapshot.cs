using System.Net.Http.Headers;
using OfflineBearer.DPoP;
using OfflineBearer.Refresh;

namespace OfflineBearer.Caching;

/// <summary>
/// One access token and the moments that matter for it, as <see cref="TimeProvider.GetTimestamp"/> values so that a
/// change of the wall clock does not move them. Immutable: the holder swaps whole snapshots, readers take no lock.
/// </summary>
internal sealed class TokenSnapshot
{
    public TokenSnapshot(string accessToken, long refreshAt, long mustRefreshAt, long expiresAt, DPoPProofs? proofs = null)
    {
        Header = new AuthenticationHeaderValue(proofs is null ? "Bearer" : DPoPProofs.Scheme, accessToken);
        Proofs = proofs;
        AccessTokenHash = proofs is null ? null : DPoPProofs.HashOf(accessToken);
        RefreshAt = refreshAt;
        MustRefreshAt = mustRefreshAt;
        ExpiresAt = expiresAt;
    }

    /// <summary>
    /// The token itself, as the header every request carries: built once per token, and shared by requests because
    /// <see cref="AuthenticationHeaderValue"/> is immutable.
    /// </summary>
    public AuthenticationHeaderValue Header { get; }

    /// <summary>For a DPoP-bound token: the client's key, which signs a proof for every request. Null for a bearer token.</summary>
    public DPoPProofs? Proofs { get; }

    /// <summary>For a DPoP-bound token: the proofs' <c>ath</c>, computed once per token.</summary>
    public string? AccessTokenHash { get; }

    /// <summary>From here one background refresh starts while callers keep this token.</summary>
    public long RefreshAt { get; }

    /// <summary>From here callers wait for a new token (the refresh window); the token is still sent if none comes in time.</summary>
    public long MustRefreshAt { get; }

    /// <summary>From here the token is not sent any more. <see cref="long.MaxValue"/> when the lifetime is unknown.</summary>
    public long ExpiresAt { get; }

    /// <summary>
    /// Schedules a token got by a request sent at <paramref name="sentAt"/>: a background refresh at
    /// <paramref name="refreshAtFraction"/> of its <paramref name="lifetime"/>, the refresh window
    /// <paramref name="refreshBeforeExpiry"/> before it expires (clamped to half the lifetime, so a 60-second token is not
    /// refreshed on every call). An unknown lifetime is used until the API answers 401.
    /// </summary>
    public static TokenSnapshot Create(
        string accessToken,
        TimeSpan? lifetime,
        long sentAt,
        TimeSpan refreshBeforeExpiry,
        double refreshAtFraction,
        TimeProvider time,
        DPoPProofs? proofs = null)
    {
        var schedule = RefreshSchedule.Of(lifetime, sentAt, refreshBeforeExpiry, refreshAtFraction, time);
        return new TokenSnapshot(accessToken, schedule.RefreshAt, schedule.MustRefreshAt, schedule.ExpiresAt, proofs);
    }

    public bool IsExpired(long now) => now >= ExpiresAt;

    /// <summary>
    /// How long a caller holding this token, not expired at <paramref name="now"/>, may wait for a newer one: half its
    /// remaining life, so the other half carries the request to the API, and never more than <paramref name="longest"/>.
    /// </summary>
    public TimeSpan PatienceAt(long now, TimeSpan longest, TimeProvider time) =>
        TimeSpan.FromSeconds(Math.Min((ExpiresAt - now) / (2.0 * time.TimestampFrequency), longest.TotalSeconds));

    /// <summary>Never prints the token.</summary>
    public override string ToString() => "TokenSnapshot (token redacted)";
}
