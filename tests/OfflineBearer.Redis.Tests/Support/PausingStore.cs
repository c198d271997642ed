using OfflineBearer.Redis.Internal;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>
/// A replica's shared store that stops its next refresh at one step (a <see cref="DeathPoint"/>, here a pause, not a
/// death) until <see cref="Resume"/>, so a test can change Redis under a refresh in progress (a failover) at exactly that
/// step. <see cref="DeathPoint.DuringRedemption"/> holds the token server's answer at the token endpoint instead
/// (<see cref="TokenEndpointSpy.Hold"/>). <see cref="Paused"/> completes when the refresh has stopped.
/// </summary>
internal sealed class PausingStore(RedisSharedTokenStore inner, TokenEndpointSpy endpoint) : DelegatingSharedTokenStore(inner)
{
    private readonly TaskCompletionSource _paused = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _resumed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DeathPoint? _point;
    private bool _holdsLease;

    public Task Paused => _paused.Task;

    public void PauseAt(DeathPoint point)
    {
        _point = point;
        if (point == DeathPoint.DuringRedemption)
        {
            endpoint.Hold();
            _ = endpoint.Answered.ContinueWith(_ => _paused.TrySetResult(), TaskScheduler.Default);
        }
    }

    public void Resume()
    {
        _point = null;
        endpoint.Release();
        _resumed.TrySetResult();
    }

    public override async ValueTask<SharedTokenState?> ReadAsync(string clientName, CancellationToken cancellationToken)
    {
        if (_holdsLease && _point == DeathPoint.AfterLeaseBeforeMark)
        {
            await PauseAsync();
        }

        return await Inner.ReadAsync(clientName, cancellationToken);
    }

    public override async ValueTask<string?> TryAcquireLeaseAsync(string clientName, TimeSpan duration, CancellationToken cancellationToken)
    {
        if (_point == DeathPoint.BeforeLease)
        {
            await PauseAsync();
        }

        var lease = await Inner.TryAcquireLeaseAsync(clientName, duration, cancellationToken);
        _holdsLease = lease is not null;
        return lease;
    }

    public override async ValueTask<bool> TryWriteAsync(string clientName, string lease, SharedTokenState state, CancellationToken cancellationToken)
    {
        if (_point == DeathPoint.AfterAnswerBeforeWrite)
        {
            await PauseAsync();
        }

        var written = await Inner.TryWriteAsync(clientName, lease, state, cancellationToken);
        if (_point == DeathPoint.AfterWrite)
        {
            await PauseAsync();
        }

        _holdsLease = false;
        return written;
    }

    private Task PauseAsync()
    {
        _paused.TrySetResult();
        return _resumed.Task;
    }
}
