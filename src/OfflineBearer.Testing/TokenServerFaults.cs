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
    private readonly TimeProvider _time;
    private readonly TokenLedger _ledger;
    private readonly object _gate = new();
    private readonly Queue<Func<HttpContext, Task>> _next = new();
    private DateTimeOffset _outageEnds = DateTimeOffset.MinValue;
    private OutageKind _outageKind;
    private TimeSpan _latency;
    private int _waitingOnClock;

    internal TokenServerFaults(TimeProvider time, TokenLedger ledger)
    {
        _time = time;
        _ledger = ledger;
    }

    /// <summary>
    /// Takes the server down for <paramref name="duration"/> from now: every request to its endpoints is answered as
    /// <paramref name="kind"/> says until then. Replaces an outage under way.
    /// </summary>
    /// <param name="duration">How long the outage lasts on the server's clock.</param>
    /// <param name="kind">How the server fails; 503 without <c>Retry-After</c> by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is negative.</exception>
    public void Outage(TimeSpan duration, OutageKind kind = OutageKind.ServiceUnavailable)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        lock (_gate)
        {
            _outageEnds = _time.GetUtcNow() + duration;
            _outageKind = kind;
        }
    }

    /// <summary>
    /// The next <paramref name="count"/> requests to the server's endpoints, after any planned before them: say how they
    /// are answered with <see cref="NextRequests.Respond"/> or <see cref="NextRequests.ResetConnection"/>.
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
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    public void Latency(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        lock (_gate)
        {
            _latency = delay;
        }
    }

    /// <summary>Requests a latency or a hang holds until the server's clock moves on.</summary>
    internal int WaitingOnClock => Volatile.Read(ref _waitingOnClock);

    /// <summary>Ends every fault: the outage, the planned answers and the latency.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _outageEnds = DateTimeOffset.MinValue;
            _next.Clear();
            _latency = TimeSpan.Zero;
        }
    }

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
        TimeSpan latency;
        TimeSpan outageLeft;
        OutageKind outageKind;
        Func<HttpContext, Task>? planned;
        lock (_gate)
        {
            latency = _latency;
            outageLeft = _outageEnds - _time.GetUtcNow();
            outageKind = _outageKind;
            planned = outageLeft > TimeSpan.Zero || !_next.TryDequeue(out var next) ? null : next;
        }

        if (latency > TimeSpan.Zero)
        {
            await WaitOnClockAsync(latency, context.RequestAborted).ConfigureAwait(false);
        }

        if (outageLeft > TimeSpan.Zero)
        {
            if (outageKind == OutageKind.Hang)
            {
                // Answers normally once the outage is over, if the client still waits.
                await WaitOnClockAsync(outageLeft, context.RequestAborted).ConfigureAwait(false);
                return false;
            }

            _ledger.RecordFaultedRequest();
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

    private async Task WaitOnClockAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waitingOnClock);
        try
        {
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waitingOnClock);
        }
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
}
