using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OfflineBearer.Testing.Redis;

/// <summary>
/// What the nodes of a <see cref="RedisCluster"/> say about each other (<c>CLUSTER NODES</c>, <c>CLUSTER INFO</c>,
/// <c>INFO replication</c>), and the bounded real-time waits until they agree.
/// </summary>
internal static class Topology
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Longer than Redis's own limit on a manual failover (5 s), after which it is abandoned, and sent again.</summary>
    private static readonly TimeSpan FailoverAttempt = TimeSpan.FromSeconds(6);

    /// <summary>Distinct free loopback ports, all found while the others are still held, so none is handed out twice.</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(listener => listener.Start());
            return [.. listeners.Select(listener => ((IPEndPoint)listener.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(listener => listener.Stop());
        }
    }

    /// <summary>The cluster as the node on <paramref name="port"/> sees it.</summary>
    public static async Task<IReadOnlyList<RedisClusterNode>> ViewAsync(int port, CancellationToken cancellationToken) =>
        RedisClusterNode.Parse(await RedisCommand.TextAsync(port, cancellationToken, "CLUSTER", "NODES").ConfigureAwait(false));

    /// <summary>The master that serves <paramref name="slot"/>, once every node names the same one and the cluster is settled.</summary>
    public static async Task<RedisClusterNode> AgreedOwnerAsync(RedisCluster cluster, int slot, CancellationToken cancellationToken)
    {
        var views = await WaitUntilAsync(
            cluster,
            $"every node to agree on the master of slot {slot}",
            views => views.Select(view => string.Join(' ', view.Where(node => node.IsMaster && node.Serves(slot)).Select(node => node.Id)))
                .Distinct().ToList() is [var owner] && owner.Length > 0 && !owner.Contains(' ', StringComparison.Ordinal),
            cancellationToken).ConfigureAwait(false);
        return views[0].Single(node => node.IsMaster && node.Serves(slot));
    }

    /// <summary>
    /// Sends <c>CLUSTER FAILOVER</c> to the replica on <paramref name="port"/> until <paramref name="agreed"/> holds, again
    /// after each <see cref="FailoverAttempt"/>: the masters refuse to vote for a replica of the same master twice within
    /// twice the node timeout (Redis then abandons the failover after 5 s), and a replica that was promoted less than four
    /// node timeouts ago may claim the slots with its old election's epoch and be overruled at once.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not within <see cref="RedisCluster.Timeout"/>; the message has the last view.</exception>
    public static async Task PromoteAsync(
        RedisCluster cluster, int port, string what, Func<IReadOnlyList<IReadOnlyList<RedisClusterNode>>, bool> agreed, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await RedisCommand.TextAsync(port, cancellationToken, "CLUSTER", "FAILOVER").ConfigureAwait(false);
            }
            catch (InvalidOperationException e) when (e.Message.Contains("to a replica", StringComparison.Ordinal))
            {
                // It says it is a master for the moment (the stale claim above): see what the cluster makes of it.
            }

            var deadline = clock.Elapsed + FailoverAttempt > RedisCluster.Timeout ? RedisCluster.Timeout - clock.Elapsed : FailoverAttempt;
            var (views, why) = await TryWaitAsync(cluster, agreed, deadline, cancellationToken).ConfigureAwait(false);
            if (views is not null)
            {
                return;
            }

            if (clock.Elapsed >= RedisCluster.Timeout)
            {
                throw new InvalidOperationException($"The Redis cluster did not converge within {RedisCluster.Timeout.TotalSeconds} s: waiting for {what} {why}");
            }
        }
    }

    /// <summary>
    /// Waits until <paramref name="agreed"/> holds for the views of all nodes, every node sees every other connected and
    /// healthy, says <c>cluster_state:ok</c>, and every replica's link to its master is up.
    /// </summary>
    /// <returns>The views that satisfied the condition, one per node.</returns>
    /// <exception cref="InvalidOperationException">Not within <see cref="RedisCluster.Timeout"/>; the message has the last view.</exception>
    public static async Task<IReadOnlyList<IReadOnlyList<RedisClusterNode>>> WaitUntilAsync(
        RedisCluster cluster, string what, Func<IReadOnlyList<IReadOnlyList<RedisClusterNode>>, bool> agreed, CancellationToken cancellationToken)
    {
        var (views, why) = await TryWaitAsync(cluster, agreed, RedisCluster.Timeout, cancellationToken).ConfigureAwait(false);
        return views ?? throw new InvalidOperationException(
            $"The Redis cluster did not converge within {RedisCluster.Timeout.TotalSeconds} s: waiting for {what} {why}");
    }

    /// <summary>The views once <paramref name="agreed"/> holds and the cluster is healthy; else null, and why, with the last views.</summary>
    private static async Task<(IReadOnlyList<IReadOnlyList<RedisClusterNode>>? Views, string Why)> TryWaitAsync(
        RedisCluster cluster, Func<IReadOnlyList<IReadOnlyList<RedisClusterNode>>, bool> agreed, TimeSpan within, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var ports = cluster.NodePorts.ToList();
            var texts = await Task.WhenAll(ports.Select(port => RedisCommand.TextAsync(port, cancellationToken, "CLUSTER", "NODES"))).ConfigureAwait(false);
            var views = texts.Select(RedisClusterNode.Parse).ToList();
            var unhealthy = await UnhealthyAsync(ports, views, cancellationToken).ConfigureAwait(false);
            if (unhealthy is null && agreed(views))
            {
                return (views, "");
            }

            if (clock.Elapsed > within)
            {
                var nodes = string.Join(Environment.NewLine, ports.Select((port, i) => $"CLUSTER NODES on port {port}:{Environment.NewLine}{texts[i]}"));
                return (null, $"({unhealthy ?? "the condition is false"}).{Environment.NewLine}{nodes}");
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Why the cluster is not healthy yet, or null when it is.</summary>
    private static async Task<string?> UnhealthyAsync(List<int> ports, List<IReadOnlyList<RedisClusterNode>> views, CancellationToken cancellationToken)
    {
        for (var i = 0; i < ports.Count; i++)
        {
            if (views[i].Count != ports.Count || views[i].Any(node => !node.IsSettled))
            {
                return $"the node on port {ports[i]} knows {views[i].Count} nodes, or sees one in handshake, failing or disconnected";
            }

            var info = await RedisCommand.TextAsync(ports[i], cancellationToken, "CLUSTER", "INFO").ConfigureAwait(false);
            if (!info.Contains("cluster_state:ok", StringComparison.Ordinal))
            {
                return $"the node on port {ports[i]} is not in cluster_state:ok";
            }

            if (views[i].Single(node => node.IsMyself).IsMaster)
            {
                continue;
            }

            var replication = await RedisCommand.TextAsync(ports[i], cancellationToken, "INFO", "replication").ConfigureAwait(false);
            if (!replication.Contains("master_link_status:up", StringComparison.Ordinal))
            {
                return $"the replica on port {ports[i]} is not in sync with its master";
            }
        }

        return null;
    }
}
