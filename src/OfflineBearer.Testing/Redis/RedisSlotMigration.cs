using System.Globalization;

namespace OfflineBearer.Testing.Redis;

/// <summary>
/// A slot of a <see cref="RedisCluster"/> on its way from one master to another, begun by
/// <see cref="RedisCluster.BeginSlotMigrationAsync"/>. Until <see cref="CompleteAsync"/> the source serves the keys it
/// still has and answers <c>ASK</c> (to the target) for the others; a command on several keys that are not all on the
/// target is answered <c>TRYAGAIN</c> there. <see cref="MoveKeysAsync"/> moves the keys (<c>MIGRATE</c>, with their
/// time to live); <see cref="CompleteAsync"/> gives the slot to the target on every master, after which the old owner
/// answers <c>MOVED</c>.
/// </summary>
public sealed class RedisSlotMigration
{
    private const int KeysPerMigrate = 100;

    private readonly RedisCluster _cluster;
    private readonly string _sourceId;
    private readonly string _targetId;
    private readonly string _slot;

    internal RedisSlotMigration(RedisCluster cluster, int slot, RedisClusterNode source, RedisClusterNode target)
    {
        _cluster = cluster;
        Slot = slot;
        _slot = slot.ToString(CultureInfo.InvariantCulture);
        SourcePort = source.Port;
        _sourceId = source.Id;
        TargetPort = target.Port;
        _targetId = target.Id;
    }

    /// <summary>The slot being moved.</summary>
    public int Slot { get; }

    /// <summary>The port of the master that served the slot.</summary>
    public int SourcePort { get; }

    /// <summary>The port of the master that will serve it.</summary>
    public int TargetPort { get; }

    /// <summary>
    /// Moves the keys the source still has in the slot to the target (<c>MIGRATE … REPLACE KEYS</c>, a hundred at a
    /// time), or only <paramref name="keys"/> of them.
    /// </summary>
    /// <param name="keys">The keys to move now; null for all the source has.</param>
    /// <param name="cancellationToken">Cancels the commands.</param>
    /// <returns>How many keys were moved.</returns>
    public async Task<int> MoveKeysAsync(IReadOnlyCollection<string>? keys = null, CancellationToken cancellationToken = default)
    {
        if (keys is not null)
        {
            return keys.Count == 0 ? 0 : await MigrateAsync(keys, cancellationToken).ConfigureAwait(false);
        }

        var moved = 0;
        while (true)
        {
            var batch = (object?[])(await RedisCommand.SendAsync(
                SourcePort, cancellationToken, "CLUSTER", "GETKEYSINSLOT", _slot, KeysPerMigrate.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false))!;
            if (batch.Length == 0)
            {
                return moved;
            }

            moved += await MigrateAsync([.. batch.Cast<string>()], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Moves the keys left, then gives the slot to the target on the target, the source and the other master
    /// (<c>CLUSTER SETSLOT … NODE</c>), and waits until every node agrees and none is migrating or importing.
    /// </summary>
    /// <param name="cancellationToken">Cancels the commands and the wait.</param>
    /// <returns>A task that completes once the cluster agrees.</returns>
    /// <exception cref="InvalidOperationException">The cluster did not converge within 30 seconds.</exception>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        await MoveKeysAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var masters = (await Topology.ViewAsync(TargetPort, cancellationToken).ConfigureAwait(false)).Where(node => node.IsMaster).Select(node => node.Port);
        foreach (var port in new[] { TargetPort, SourcePort }.Concat(masters).Distinct())
        {
            await RedisCommand.TextAsync(port, cancellationToken, "CLUSTER", "SETSLOT", _slot, "NODE", _targetId).ConfigureAwait(false);
        }

        await Topology.WaitUntilAsync(
            _cluster,
            $"every node to agree that slot {Slot} moved from port {SourcePort} to port {TargetPort}",
            views => views.All(view => !view.Any(node => node.IsMovingSlot)
                && view.Single(node => node.Id == _targetId).Serves(Slot)
                && !view.Single(node => node.Id == _sourceId).Serves(Slot)),
            cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> MigrateAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        string[] arguments = ["MIGRATE", "127.0.0.1", TargetPort.ToString(CultureInfo.InvariantCulture), "", "0", "5000", "REPLACE", "KEYS", .. keys];
        var answer = await RedisCommand.SendAsync(SourcePort, cancellationToken, arguments).ConfigureAwait(false);
        return answer is "NOKEY" ? 0 : keys.Count;
    }
}
