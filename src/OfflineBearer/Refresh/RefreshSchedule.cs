namespace OfflineBearer.Refresh;

/// <summary>
/// The moments of one token's life, as <see cref="TimeProvider.GetTimestamp"/> values: when its background refresh starts
/// (<see cref="RefreshAt"/>), when callers must wait for a new one (<see cref="MustRefreshAt"/>, the refresh window
/// before expiry) and when it expires. A token of unknown lifetime has none (<see cref="long.MaxValue"/>).
/// </summary>
internal readonly record struct RefreshSchedule(long RefreshAt, long MustRefreshAt, long ExpiresAt)
{
    /// <summary>The schedule of a token of unknown lifetime: never refreshed by the clock, only after a 401.</summary>
    public static RefreshSchedule Never { get; } = new(long.MaxValue, long.MaxValue, long.MaxValue);

    /// <summary>
    /// The schedule of a token that lives <paramref name="lifetime"/> from <paramref name="sentAt"/>: the refresh window is
    /// <paramref name="refreshBeforeExpiry"/>, at most half the lifetime; the background refresh starts at
    /// <paramref name="refreshAtFraction"/> of it, never after the window opens.
    /// </summary>
    public static RefreshSchedule Of(TimeSpan? lifetime, long sentAt, TimeSpan refreshBeforeExpiry, double refreshAtFraction, TimeProvider time)
    {
        if (lifetime is not { } life)
        {
            return Never;
        }

        var window = TimeSpan.FromTicks(Math.Min(refreshBeforeExpiry.Ticks, (life / 2).Ticks));
        var expiresAt = sentAt + time.ToTimestamp(life);
        var mustRefreshAt = sentAt + time.ToTimestamp(life - window);
        var refreshAt = Math.Min(sentAt + time.ToTimestamp(life * refreshAtFraction), mustRefreshAt);
        return new RefreshSchedule(refreshAt, mustRefreshAt, expiresAt);
    }
}
