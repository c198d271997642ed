namespace OfflineBearer.Testing;

// Moving a fake clock while a call waits on it: retries, backoff, a caller's wait for a refresh, a fault's latency.
public sealed partial class TestTokenServer
{
    // Real time between two looks at the pending call: long enough for loopback requests to make progress between moves.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(2);

    // Past this, the call waits on something other than the clock (or forever): say so instead of running time on.
    private static readonly TimeSpan MostAdvance = TimeSpan.FromDays(1);

    /// <summary>
    /// Waits for <paramref name="pending"/> (a call through the handler under test, say) while moving the fake clock
    /// shared by the server and the code under test by <paramref name="step"/> whenever the server holds no request it is
    /// working on, so a call that waits on that clock (retry backoff, <c>Retry-After</c>, a wait for a refresh, a latency
    /// or a hang of <see cref="Faults"/>) completes without a real-time sleep as long as the fake time it needs. The
    /// clock is moved only when the server has been idle (no request received, none in work) for two looks in a row, so no
    /// request the server works on sees its timeout pass; a client that spends long on its own side between requests
    /// may still see the clock move, by <paramref name="step"/> per look.
    /// </summary>
    /// <typeparam name="T">The call's result.</typeparam>
    /// <param name="advance">Moves the clock, e.g. <c>fakeTime.Advance</c> of a <c>FakeTimeProvider</c>.</param>
    /// <param name="pending">The call.</param>
    /// <param name="step">How far each move goes; the default is 100 milliseconds.</param>
    /// <param name="cancellationToken">Stops waiting (the call itself is not cancelled).</param>
    /// <returns>The call's result; its exception if it failed.</returns>
    /// <exception cref="TimeoutException">The clock moved a day and the call still waits: it waits on something else.</exception>
    public async Task<T> AdvanceUntilDoneAsync<T>(Action<TimeSpan> advance, Task<T> pending, TimeSpan? step = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(advance);
        ArgumentNullException.ThrowIfNull(pending);
        var by = step ?? TimeSpan.FromMilliseconds(100);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(by, TimeSpan.Zero, nameof(step));

        var moved = TimeSpan.Zero;
        var idleLooks = 0;
        var started = Ledger.RequestsStarted;
        while (!pending.IsCompleted)
        {
            // Real time on purpose: this lets the call and the server run; the fake clock is what the call waits on.
            await Task.WhenAny(pending, Task.Delay(PollInterval, TimeProvider.System, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            var nowStarted = Ledger.RequestsStarted;
            idleLooks = nowStarted == started && Ledger.RequestsInFlight == Faults.HeldRequests ? idleLooks + 1 : 0;
            started = nowStarted;
            if (pending.IsCompleted || idleLooks < 2)
            {
                continue;
            }

            if (moved >= MostAdvance)
            {
                throw new TimeoutException($"The clock moved {moved} and the call still waits: it waits on something other than this clock.");
            }

            advance(by);
            moved += by;
        }

        return await pending.ConfigureAwait(false);
    }
}
