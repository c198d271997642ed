namespace OfflineBearer.Testing.Internal;

/// <summary>
/// One try at a timer until a moment on the server's clock, and whether the clock stood still while it was made: a timer
/// counts from the clock at the moment it starts, so one made while a test moved the clock may end late and is made again.
/// </summary>
internal sealed class ClockTimer : IDisposable
{
    private readonly CancellationTokenSource _cancel;

    private ClockTimer(CancellationTokenSource cancel, Task passed, bool stood)
    {
        _cancel = cancel;
        Passed = passed;
        Stood = stood;
    }

    /// <summary>Completes when the moment has come; cancelled when the client gave up.</summary>
    public Task Passed { get; }

    /// <summary>Whether the clock did not move while the timer was made, so it ends exactly at the moment.</summary>
    public bool Stood { get; }

    /// <param name="time">The server's clock.</param>
    /// <param name="until">The moment; <see cref="DateTimeOffset.MaxValue"/> for never.</param>
    /// <param name="aborted">The client gave up.</param>
    public static ClockTimer Start(TimeProvider time, DateTimeOffset until, CancellationToken aborted)
    {
        var before = time.GetUtcNow();
        var left = until == DateTimeOffset.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(Math.Max(0, (until - before).Ticks));
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        return new ClockTimer(cancel, Task.Delay(left, time, cancel.Token), time.GetUtcNow() == before);
    }

    /// <summary>Abandons this try.</summary>
    public void Cancel()
    {
        _cancel.Cancel();
        _cancel.Dispose();
    }

    public void Dispose() => _cancel.Dispose();
}
