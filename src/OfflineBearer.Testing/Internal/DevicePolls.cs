namespace OfflineBearer.Testing.Internal;

/// <summary>
/// When each live device code was last polled (or issued), so a poll sooner than the interval can be answered
/// <c>slow_down</c>. OpenIddict has no such check. Only codes this server issued are tracked, and each is forgotten once
/// it can no longer be redeemed, so the table stays small.
/// </summary>
internal sealed class DevicePolls(TimeProvider time, TimeSpan interval, TimeSpan lifetime, TimeSpan? announced = null)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public TimeSpan Interval { get; } = interval;

    /// <summary>The interval the device authorization response tells the client.</summary>
    public TimeSpan Announced { get; } = announced ?? interval;

    public void Issued(string deviceCode)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            ForgetExpired_NeedsLock(now);
            _entries[deviceCode] = new Entry(Issued: now, LastPoll: now);
        }
    }

    /// <summary>Records a poll and says whether it came too soon after the previous one; unknown codes are never too soon.</summary>
    public bool IsTooSoon(string deviceCode)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_entries.TryGetValue(deviceCode, out var entry))
            {
                return false;
            }

            // Every poll counts, refused ones too: a client that keeps polling too fast keeps getting slow_down.
            _entries[deviceCode] = entry with { LastPoll = now };
            return now - entry.LastPoll < Interval;
        }
    }

    private void ForgetExpired_NeedsLock(DateTimeOffset now)
    {
        foreach (var (code, entry) in _entries)
        {
            if (now - entry.Issued > lifetime)
            {
                _entries.Remove(code);
            }
        }
    }

    private readonly record struct Entry(DateTimeOffset Issued, DateTimeOffset LastPoll);
}
