using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>
/// The fleet's <see cref="FakeTimeProvider"/> as one replica sees it, telling the test each time the replica starts a
/// timer: a test that advances the clock only once the replica waits on it moves exactly as far as it means to, with
/// no real-time sleep and no race between the replica arming its timer and the test moving the clock.
/// </summary>
internal sealed class WatchedTime(FakeTimeProvider fake) : TimeProvider
{
    /// <summary>Bound on a wait for a timer, only so that a broken test fails instead of hanging.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<TimeSpan, SemaphoreSlim> _started = new();

    public override DateTimeOffset GetUtcNow() => fake.GetUtcNow();

    public override long GetTimestamp() => fake.GetTimestamp();

    public override long TimestampFrequency => fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => fake.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = fake.CreateTimer(callback, state, dueTime, period);
        Started(dueTime).Release();
        return timer;
    }

    /// <summary>
    /// Waits until the replica has started one more timer of <paramref name="dueTime"/> (each is counted once), or until
    /// <paramref name="orUntil"/> completes; true when a timer started.
    /// </summary>
    public async Task<bool> TimerStartedAsync(TimeSpan dueTime, Task orUntil)
    {
        // A wait left behind when orUntil wins would take the count of the next timer from the next caller: cancel it.
        using var abandon = new CancellationTokenSource();
        var started = Started(dueTime).WaitAsync(HangGuard, abandon.Token);
        var first = await Task.WhenAny(started, orUntil);
        if (first == started && !await started)
        {
            throw new TimeoutException($"No {dueTime} timer started within {HangGuard}.");
        }

        if (first == started)
        {
            return true;
        }

        await abandon.CancelAsync();
        try
        {
            // It may have taken a count just before the cancellation: then a timer did start.
            return await started;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private SemaphoreSlim Started(TimeSpan dueTime) => _started.GetOrAdd(dueTime, _ => new SemaphoreSlim(0));
}
