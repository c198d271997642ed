namespace OfflineBearer.IntegrationTests.Support;

/// <summary>
/// In front of a client's API: holds the first sends of a round until all of them (and whatever else the round waits
/// for) have arrived, so a round's callers leave together with the proofs they made before any answer came back. Sends
/// past the round's count (resends) and sends outside a round pass at once.
/// </summary>
internal sealed class SendBarrier : DelegatingHandler
{
    private readonly Lock _gate = new();
    private int _expected;
    private int _arrived;
    private TaskCompletionSource _allArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _ready = Task.CompletedTask;

    /// <summary>Starts a round: the next <paramref name="sends"/> sends wait for each other and for <paramref name="alsoWaitFor"/>.</summary>
    public void StartRound(int sends, Task? alsoWaitFor = null)
    {
        lock (_gate)
        {
            _expected = sends;
            _arrived = 0;
            _allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _ready = Task.WhenAll(_allArrived.Task, alsoWaitFor ?? Task.CompletedTask);
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Task ready;
        lock (_gate)
        {
            ready = _arrived == _expected ? Task.CompletedTask : _ready;
            if (_arrived < _expected && ++_arrived == _expected)
            {
                _allArrived.SetResult();
            }
        }

        await ready.WaitAsync(cancellationToken);
        return await base.SendAsync(request, cancellationToken);
    }
}
