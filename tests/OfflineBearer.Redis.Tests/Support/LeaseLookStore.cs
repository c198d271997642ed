using OfflineBearer.Redis.Internal;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>
/// A replica's shared store (Redis) that lets the test step in each time the replica looks at another replica's lease
/// (<see cref="ISharedTokenStore.GetLeaseTimeLeftAsync"/>): what the others do between the replica's attempt at the lease
/// and its look, and what the store answers then.
/// </summary>
internal sealed class LeaseLookStore(RedisSharedTokenStore inner) : DelegatingSharedTokenStore(inner)
{
    private int _looks;

    /// <summary>
    /// Called at each look with its number (from 1) and the store's own look; what it returns is what the replica sees.
    /// </summary>
    public Func<int, Func<Task<TimeSpan?>>, Task<TimeSpan?>>? AtLook { get; set; }

    public override async ValueTask<TimeSpan?> GetLeaseTimeLeftAsync(string clientName, CancellationToken cancellationToken)
    {
        var look = Interlocked.Increment(ref _looks);
        Task<TimeSpan?> Own() => Inner.GetLeaseTimeLeftAsync(clientName, cancellationToken).AsTask();
        return AtLook is { } atLook ? await atLook(look, Own) : await Own();
    }
}
