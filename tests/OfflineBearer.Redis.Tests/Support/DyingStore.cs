using OfflineBearer.Redis.Internal;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>
/// A replica's shared store that dies with it: once <see cref="DieAt"/> is armed, the replica's next refresh stops for good
/// at that <see cref="DeathPoint"/>, as a killed process would (its call never returns, nothing after it reaches Redis;
/// cancellation does not wake it). <see cref="DeathPoint.DuringRedemption"/> dies at the token endpoint instead, with
/// <see cref="TokenEndpointSpy.Die"/>. <see cref="Died"/> completes at the moment of death.
/// </summary>
internal sealed class DyingStore(RedisSharedTokenStore inner, TokenEndpointSpy endpoint) : DelegatingSharedTokenStore(inner)
{
    private static readonly Task Never = new TaskCompletionSource().Task;
    private readonly TaskCompletionSource _died = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DeathPoint? _point;
    private bool _holdsLease;

    public Task Died => _died.Task;

    /// <summary>The lease the replica died holding, or null.</summary>
    public string? Lease { get; private set; }

    public void DieAt(DeathPoint point)
    {
        _point = point;
        if (point == DeathPoint.DuringRedemption)
        {
            endpoint.Die();
            _ = endpoint.Answered.ContinueWith(_ => _died.TrySetResult(), TaskScheduler.Default);
        }
    }

    public override async ValueTask<SharedTokenState?> ReadAsync(string clientName, CancellationToken cancellationToken)
    {
        if (_holdsLease && _point == DeathPoint.AfterLeaseBeforeMark)
        {
            await DieAsync();
        }

        return await Inner.ReadAsync(clientName, cancellationToken);
    }

    public override async ValueTask<string?> TryAcquireLeaseAsync(string clientName, TimeSpan duration, CancellationToken cancellationToken)
    {
        if (_point == DeathPoint.BeforeLease)
        {
            await DieAsync();
        }

        var lease = await Inner.TryAcquireLeaseAsync(clientName, duration, cancellationToken);
        if (_point is not null && lease is not null)
        {
            _holdsLease = true;
            Lease = lease;
        }

        return lease;
    }

    public override async ValueTask<bool> TryWriteAsync(string clientName, string lease, SharedTokenState state, CancellationToken cancellationToken)
    {
        if (_point == DeathPoint.AfterAnswerBeforeWrite)
        {
            await DieAsync();
        }

        var written = await Inner.TryWriteAsync(clientName, lease, state, cancellationToken);
        if (_point == DeathPoint.AfterWrite)
        {
            await DieAsync();
        }

        return written;
    }

    private Task DieAsync()
    {
        _died.TrySetResult();
        return Never;
    }
}
