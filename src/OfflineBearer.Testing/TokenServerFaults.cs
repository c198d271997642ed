using OfflineBearer.Testing.Internal;
using System.Globalization;
using System.Net;

namespace OfflineBearer.Testing;

/// <summary>
/// Faults of a <see cref="TestTokenServer"/>'s own endpoints (token, discovery, device, revocation, authorization; not
/// its API, which has <see cref="TestTokenServer.Api"/>), for testing how a service rides out an outage, throttling or a
/// slow server. Durations run on <see cref="TestTokenServerOptions.TimeProvider"/>: on a fake clock, an outage ends and a
/// latency passes only when the test moves the clock. What the faults answered is counted in
/// <see cref="TokenLedger.FaultedRequests"/>. All members are thread-safe.
/// </summary>
public sealed class TokenServerFaults
{
    /// <summary>
    /// Marks the requests of the server's own helpers (<see cref="TestTokenServer.GetPublicClientOfflineTokenAsync"/>, the
    /// login and device helpers): faults are for the code under test, never for the test's set-up.
    /// </summary>
    internal const string HelperHeader = "X-TestTokenServer-Helper";

    // Task.Delay on a TimeProvider takes at most about 49 days; a longer fault is an infinite one.
    private static readonly TimeSpan LongestFiniteFault = TimeSpan.FromDays(24);

    private readonly TimeProvider _time;
    private readonly TokenLedger _ledger;
    private readonly object _gate = new();
    private readonly Queue<Func<HttpContext, Task>> _next = new();
    private DateTimeOffset _outageEnds = DateTimeOffset.MinValue;
    private OutageKind _outageKind;
    private TimeSpan _latency;
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waitingOnClock;

    internal TokenServerFaults(TimeProvider time, TokenLedger ledger)
    {
        _time = time;
        _ledger = ledger;
    }

    /// <summary>
    /// Takes the server down for <paramref name="duration"/> from now: every request to its endpoints is answered as
    /// <paramref name="kind"/> says until then. Replaces an outage under way and releases the requests it held.
    /// </summary>
    /// <param name="duration">How long the outage lasts on the server's clock; <see cref="Timeout.InfiniteTimeSpan"/> until <see cref="Clear"/>.</param>
    /// <param name="kind">How the server fails; 503 without <c>Retry-After</c> by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is negative (other than infinite) or longer than 24 days.</exception>
    public void Outage(TimeSpan duration, OutageKind kind = OutageKind.ServiceUnavailable)
    {
        CheckDuration(duration);
        lock (_gate)
        {
            _outageEnds = duration == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : _time.GetUtcNow() + duration;
            _outageKind = kind;
            ReleaseHeldRequests();
        }
    }

    /// <summary>
    /// The next <paramref name="count"/> requests to the server's endpoints, after any planned before them: say how they
    /// are answered with <see cref="NextRequests.Respond"/> or <see cref="NextRequests.ResetConnection"/>. Discovery
    /// requests count: a client that has not read discovery yet sends one before its first token request.
    /// </summary>
    /// <param name="count">How many requests; at least one.</param>
    /// <returns>The plan for those requests.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is less than one.</exception>
    public NextRequests Next(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return new NextRequests(this, count);
    }

    /// <summary>
    /// Delays every answer of the server's endpoints by <paramref name="delay"/> on the server's clock, as a slow or
    /// distant server does; <see cref="TimeSpan.Zero"/> ends it. On a fake clock a request waits until the clock moves on.
    /// </summary>
    /// <param name="delay">The added latency.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative or longer than 24 days.</exception>
    public void Latency(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        CheckDuration(delay);
        lock (_gate)
        {
            _latency = delay;
        }
    }

    /// <summary>Ends every fault (the outage, the planned answers, the latency) and releases the requests they hold.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _outageEnds = DateTimeOffset.MinValue;
            _next.Clear();
            _latency = TimeSpan.Zero;
            ReleaseHeldRequests();
        }
    }

    /// <summary>
    /// Requests a latency or a hang holds right now, until the server's clock moves on (or <see cref="Clear"/>): the part
    /// of <see cref="TokenLedger.RequestsInFlight"/> that waits for the test to move the clock.
    /// </summary>
    public int HeldRequests => Volatile.Read(ref _waitingOnClock);

    internal void Plan(int count, Func<HttpContext, Task> answer)
    {
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _next.Enqueue(answer);
            }
        }
    }

    /// <summary>Applies the faults to one request; true when a fault answered it and the endpoint must not.</summary>
    internal async Task<bool> TryAnswerAsync(HttpContext context)
    {
        if (context.Request.Headers.ContainsKey(HelperHeader))
        {
            return false;
        }

        TimeSpan latency;
        Task released;
        lock (_gate)
        {
            latency = _latency;
            released = _release.Task;
        }

        if (latency > TimeSpan.Zero && !await WaitOnClockAsync(_time.GetUtcNow() + latency, released, context.RequestAborted).ConfigureAwait(false))
        {
            return false; // released by Clear: answered normally
        }

        // Decided after the latency: an outage that ended meanwhile is over for this request.
        TimeSpan outageLeft;
        DateTimeOffset outageEnds;
        OutageKind outageKind;
        Func<HttpContext, Task>? planned;
        lock (_gate)
        {
            outageEnds = _outageEnds;
            outageLeft = outageEnds == DateTimeOffset.MaxValue ? Timeout.InfiniteTimeSpan : outageEnds - _time.GetUtcNow();
            outageKind = _outageKind;
            planned = outageLeft != Timeout.InfiniteTimeSpan && outageLeft <= TimeSpan.Zero && _next.TryDequeue(out var next) ? next : null;
            released = _release.Task;
        }

        if (outageLeft == Timeout.InfiniteTimeSpan || outageLeft > TimeSpan.Zero)
        {
            _ledger.RecordFaultedRequest();
            if (outageKind == OutageKind.Hang)
            {
                // Answered normally once the outage is over or cleared, if the client still waits.
                await WaitOnClockAsync(outageEnds, released, context.RequestAborted).ConfigureAwait(false);
                return false;
            }

            await (outageKind == OutageKind.ConnectionReset ? ResetAsync(context) : RespondAsync(context, HttpStatusCode.ServiceUnavailable, retryAfter: null)).ConfigureAwait(false);
            return true;
        }

        if (planned is null)
        {
            return false;
        }

        _ledger.RecordFaultedRequest();
        await planned(context).ConfigureAwait(false);
        return true;
    }

    internal static Task RespondAsync(HttpContext context, HttpStatusCode status, TimeSpan? retryAfter)
    {
        context.Response.StatusCode = (int)status;
        if (retryAfter is { } delay)
        {
            context.Response.Headers.RetryAfter = ((long)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return Task.CompletedTask;
    }

    internal static Task ResetAsync(HttpContext context)
    {
        context.Abort();
        return Task.CompletedTask;
    }

    private static void CheckDuration(TimeSpan duration)
    {
        if (duration != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero, nameof(duration));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(duration, LongestFiniteFault, nameof(duration));
        }
    }

    // Under _gate.
    private void ReleaseHeldRequests()
    {
        _release.SetResult();
        _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <param name="until">When the wait ends on the server's clock; <see cref="DateTimeOffset.MaxValue"/> for never.</param>
    /// <param name="released">Completes when <see cref="Clear"/> or a new outage releases held requests.</param>
    /// <param name="aborted">The client gave up.</param>
    /// <returns>True when the time passed; false when <paramref name="released"/> ended the wait first.</returns>
    /// <exception cref="OperationCanceledException">The client gave up (<paramref name="aborted"/>).</exception>
    private async Task<bool> WaitOnClockAsync(DateTimeOffset until, Task released, CancellationToken aborted)
    {
        Interlocked.Increment(ref _waitingOnClock);
        try
        {
            // A timer counts from the clock at the moment it starts. A test may move the clock once the request is counted,
            // even while the timer is being made; so the timer is made again until the clock stood still around it, and
            // then it ends exactly at until, never late.
            var timer = ClockTimer.Start(_time, until, aborted);
            while (!timer.Stood)
            {
                timer.Cancel();
                timer = ClockTimer.Start(_time, until, aborted);
            }

            using (timer)
            {
                if (await Task.WhenAny(timer.Passed, released).ConfigureAwait(false) == released)
                {
                    return false;
                }

                await timer.Passed.ConfigureAwait(false);
                return true;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waitingOnClock);
        }
    }
}
