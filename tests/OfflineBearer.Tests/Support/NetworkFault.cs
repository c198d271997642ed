namespace OfflineBearer.Tests.Support;

/// <summary>
/// Sits in front of a MockHttp handler and fails like the network: unreachable when <see cref="Fault"/> is set,
/// silent until cancelled when <see cref="Hang"/> is. MockHttp itself cannot do either (a faulted dynamic response
/// leaves its request hanging, deaf to cancellation). <see cref="Arrived"/> counts requests, so a test can move the
/// fake clock exactly when a request is under way.
/// </summary>
internal sealed class NetworkFault(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public Exception? Fault { get; set; }

    public bool Hang { get; set; }

    public SemaphoreSlim Arrived { get; } = new(0);

    private int _attempts;
    private int _answering;

    /// <summary>Every request that reached the network, whether it failed there or not.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>
    /// Requests the server is answering now (not hanging): while one is, moving the fake clock could time it out,
    /// which on a busy machine is a test's race, not the behaviour under test.
    /// </summary>
    public bool IsAnswering => Volatile.Read(ref _answering) > 0;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Read before Arrived wakes the test, which may then change them for the next attempt.
        var fault = Fault;
        var hang = Hang;
        Interlocked.Increment(ref _attempts);
        Arrived.Release();
        if (fault is not null)
        {
            throw fault;
        }

        if (hang)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        }

        Interlocked.Increment(ref _answering);
        try
        {
            return await base.SendAsync(request, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _answering);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Arrived.Dispose();
        }

        base.Dispose(disposing);
    }
}
