namespace OfflineBearer.Caching;

/// <summary>
/// The timer that ends a token's fresh period at its refresh point, so the hot path reads no clock before it. It may
/// run late, never early. Arming and disposing happen under the holder's lock.
/// </summary>
internal sealed class RefreshPointTimer : IDisposable
{
    /// <summary>
    /// A timer is never set further ahead than this (System.Threading.Timer's limit is 49.7 days); at the end it checks
    /// the clock and sets itself again, so a token that lives a year stays on the hot path all year.
    /// </summary>
    internal static readonly TimeSpan LongestWait = TimeSpan.FromDays(1);

    private readonly TimeProvider _time;
    private readonly ITimer _timer;

    /// <param name="time">The clock.</param>
    /// <param name="onDue">Called when the timer fires; it decides (under its own lock) whether the point has come.</param>
    public RefreshPointTimer(TimeProvider time, Action onDue)
    {
        _time = time;

        // The callback only compares timestamps: it must not keep the creating caller's ExecutionContext (its Activity,
        // its AsyncLocals) alive for the life of the client.
        if (ExecutionContext.IsFlowSuppressed())
        {
            _timer = Create();
        }
        else
        {
            using (ExecutionContext.SuppressFlow())
            {
                _timer = Create();
            }
        }

        ITimer Create() => time.CreateTimer(static state => ((Action)state!)(), onDue, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Sets the timer for <paramref name="refreshAt"/>; false, and nothing set, when that point has come.</summary>
    public bool TryArm(long refreshAt)
    {
        var now = _time.GetTimestamp();
        if (now >= refreshAt)
        {
            return false;
        }

        // At least a millisecond: the system timer truncates to whole milliseconds, so a shorter wait would fire at once
        // and set itself again until the point came.
        var due = _time.GetElapsedTime(now, refreshAt).Ticks;
        _timer.Change(TimeSpan.FromTicks(Math.Clamp(due, TimeSpan.TicksPerMillisecond, LongestWait.Ticks)), Timeout.InfiniteTimeSpan);
        return true;
    }

    public void Dispose() => _timer.Dispose();
}
