using OfflineBearer.Redis.Internal;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>
/// A replica's shared store that hands every call to Redis (<see cref="Inner"/>); a test's store overrides only the steps
/// at which it stages what other replicas do.
/// </summary>
internal abstract class DelegatingSharedTokenStore(RedisSharedTokenStore inner) : ISharedTokenStore, IAsyncDisposable
{
    protected RedisSharedTokenStore Inner => inner;

    public bool AllowLocalRefreshWhenUnavailable => inner.AllowLocalRefreshWhenUnavailable;

    public virtual ValueTask<SharedTokenState?> ReadAsync(string clientName, CancellationToken cancellationToken) =>
        inner.ReadAsync(clientName, cancellationToken);

    public virtual ValueTask<string?> TryAcquireLeaseAsync(string clientName, TimeSpan duration, CancellationToken cancellationToken) =>
        inner.TryAcquireLeaseAsync(clientName, duration, cancellationToken);

    public virtual ValueTask<TimeSpan?> GetLeaseTimeLeftAsync(string clientName, CancellationToken cancellationToken) =>
        inner.GetLeaseTimeLeftAsync(clientName, cancellationToken);

    public virtual ValueTask<bool> TryWriteAsync(string clientName, string lease, SharedTokenState state, CancellationToken cancellationToken) =>
        inner.TryWriteAsync(clientName, lease, state, cancellationToken);

    public virtual ValueTask<bool> TryMarkRedeemingAsync(string clientName, string lease, bool redeeming, CancellationToken cancellationToken) =>
        inner.TryMarkRedeemingAsync(clientName, lease, redeeming, cancellationToken);

    public virtual ValueTask ReleaseLeaseAsync(string clientName, string lease, CancellationToken cancellationToken) =>
        inner.ReleaseLeaseAsync(clientName, lease, cancellationToken);

    public virtual ValueTask<SharedTokenState?> WaitForNewerAsync(string clientName, long version, TimeSpan timeout, CancellationToken cancellationToken) =>
        inner.WaitForNewerAsync(clientName, version, timeout, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
