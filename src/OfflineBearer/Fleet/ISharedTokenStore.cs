namespace OfflineBearer;

/// <summary>
/// Where the replicas of a service share each client's token state, so that per expiry one replica asks the token
/// server and the others adopt its answer, and a refresh token is never redeemed twice. <c>OfflineBearer.Redis</c>
/// implements it (<c>AddOfflineBearerRedis</c>); when one is registered it is the store of record of every client's
/// refresh token, in place of <see cref="IRefreshTokenStore"/>. Any method may throw when the store cannot be reached;
/// OfflineBearer then keeps a valid token and falls back as its documentation says.
/// </summary>
public interface ISharedTokenStore
{
    /// <summary>
    /// Whether a public client may redeem its refresh token without the store when the store cannot be reached. Two
    /// replicas may then redeem the same token, which ends the session on servers that rotate refresh tokens.
    /// </summary>
    bool AllowLocalRefreshWhenUnavailable { get; }

    /// <summary>The newest state of <paramref name="clientName"/>, or null when none was written.</summary>
    /// <param name="clientName">The name of the client.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <returns>The state, or null.</returns>
    ValueTask<SharedTokenState?> ReadAsync(string clientName, CancellationToken cancellationToken);

    /// <summary>Takes the client's refresh lease for <paramref name="duration"/>, unless another replica holds it.</summary>
    /// <param name="clientName">The name of the client.</param>
    /// <param name="duration">How long the lease lasts unless released; longer than one whole refresh.</param>
    /// <param name="cancellationToken">Stops the attempt.</param>
    /// <returns>The lease's fencing value, unique to this holder, or null when another replica holds the lease.</returns>
    ValueTask<string?> TryAcquireLeaseAsync(string clientName, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>How long the lease another replica holds has left, or null when no replica holds it.</summary>
    /// <param name="clientName">The name of the client.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <returns>The time left on the store's own clock, or null.</returns>
    ValueTask<TimeSpan?> GetLeaseTimeLeftAsync(string clientName, CancellationToken cancellationToken);

    /// <summary>
    /// Writes <paramref name="state"/> only while <paramref name="lease"/> is still held and its version is newer than
    /// the stored one, in one atomic step, and tells waiting replicas. Every member of the state is kept, including
    /// <see cref="SharedTokenState.DPoPKeyThumbprint"/> and <see cref="SharedTokenState.SupersededRefreshTokenHashes"/>,
    /// which <see cref="ReadAsync"/> gives back.
    /// </summary>
    /// <param name="clientName">The name of the client.</param>
    /// <param name="lease">The fencing value <see cref="TryAcquireLeaseAsync"/> returned.</param>
    /// <param name="state">The new state.</param>
    /// <param name="cancellationToken">Stops the write.</param>
    /// <returns>False when the lease was lost or a newer version exists: then nothing was written.</returns>
    ValueTask<bool> TryWriteAsync(string clientName, string lease, SharedTokenState state, CancellationToken cancellationToken);

    /// <summary>
    /// Marks (or unmarks) the stored refresh token as being redeemed, only while <paramref name="lease"/> is still held.
    /// A replica that dies after the server rotated the token but before it wrote the new one leaves the mark, so no
    /// other replica redeems the spent token again (<see cref="SharedTokenState.RefreshTokenMayBeSpent"/>).
    /// </summary>
    /// <param name="clientName">The name of the client.</param>
    /// <param name="lease">The fencing value <see cref="TryAcquireLeaseAsync"/> returned.</param>
    /// <param name="redeeming">True to mark, false to take the mark away after a request that surely never arrived.</param>
    /// <param name="cancellationToken">Stops the write.</param>
    /// <returns>False when the lease was lost: then nothing was written.</returns>
    ValueTask<bool> TryMarkRedeemingAsync(string clientName, string lease, bool redeeming, CancellationToken cancellationToken);

    /// <summary>Gives the lease back if it is still held with <paramref name="lease"/>.</summary>
    /// <param name="clientName">The name of the client.</param>
    /// <param name="lease">The fencing value <see cref="TryAcquireLeaseAsync"/> returned.</param>
    /// <param name="cancellationToken">Stops the release.</param>
    /// <returns>A task that completes when the lease is released.</returns>
    ValueTask ReleaseLeaseAsync(string clientName, string lease, CancellationToken cancellationToken);

    /// <summary>Waits until a state newer than <paramref name="version"/> is written, at most <paramref name="timeout"/>.</summary>
    /// <param name="clientName">The name of the client.</param>
    /// <param name="version">The newest version the caller knows.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>The newer state, or null when none came in time.</returns>
    ValueTask<SharedTokenState?> WaitForNewerAsync(string clientName, long version, TimeSpan timeout, CancellationToken cancellationToken);
}
