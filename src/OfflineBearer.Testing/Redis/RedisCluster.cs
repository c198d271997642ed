using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace OfflineBearer.Testing.Redis;

/// <summary>
/// A real Redis Cluster of Debian's <c>redis-server</c> for the tests: three masters (slots 0-5460, 5461-10922,
/// 10923-16383) and one replica each, six child processes on free loopback ports (and cluster bus ports), each with its
/// own nodes file in the cluster's own temp directory, no persistence. It is assembled with cluster commands
/// (<c>ADDSLOTSRANGE</c>, <c>MEET</c>, <c>REPLICATE</c>), not <c>redis-cli</c>, and is ready once every node agrees on
/// the slots and roles, every replica is in sync and <c>cluster_state</c> is <c>ok</c>. <see cref="FailoverAsync"/>
/// promotes a replica with <c>CLUSTER FAILOVER</c>; <see cref="BeginSlotMigrationAsync"/> moves a slot to another master
/// step by step (<c>ASK</c>, then <c>MOVED</c>). Disposing it kills every node and deletes the directory. Every wait is
/// bounded and on real time: it waits for processes and their agreement, not for the code under test.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private const int Masters = 3;
    private const int PortAttempts = 3;

    private static readonly string[] NodeArguments =
    [
        "--cluster-enabled", "yes",
        "--cluster-config-file", "nodes.conf",
        "--cluster-node-timeout", "2000",
        "--cluster-allow-replica-migration", "no",
        "--repl-diskless-sync-delay", "0",
    ];

    private readonly string _executable;
    private readonly string _directory;
    private readonly List<(int Port, RedisProcess Process)> _nodes = [];
    private readonly string[] _ids = new string[2 * Masters];
    private bool _disposed;

    private RedisCluster(string executable, string directory)
    {
        _executable = executable;
        _directory = directory;
    }

    /// <summary>The six nodes' loopback ports: the three masters first, then their replicas in the same order (at start).</summary>
    public IReadOnlyList<int> Ports => [.. _nodes.Select(node => node.Port)];

    /// <summary>A StackExchange.Redis configuration string naming every node: <c>127.0.0.1:port,127.0.0.1:port,…</c>.</summary>
    public string Configuration => string.Join(',', _nodes.Select(node => $"127.0.0.1:{node.Port}"));

    /// <summary>Starts a cluster of the <c>redis-server</c> found on <c>PATH</c>; returns once it is assembled and agreed.</summary>
    /// <param name="cancellationToken">Cancels the start; every process is then killed and the directory deleted.</param>
    /// <returns>The running cluster; dispose it to stop it.</returns>
    /// <exception cref="InvalidOperationException"><c>redis-server</c> is not on <c>PATH</c>, or the cluster did not come up in time.</exception>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "As RedisServer.StartAsync: the overloads differ in their first parameter's type.")]
    public static Task<RedisCluster> StartAsync(CancellationToken cancellationToken = default) =>
        StartAsync(
            RedisServer.FindExecutable() ?? throw new InvalidOperationException(
                "redis-server is not installed: apt-get install -y redis-server (Debian's package); .ci/run installs it."),
            cancellationToken);

    /// <summary>Starts a cluster of <paramref name="executable"/>; returns once it is assembled and agreed.</summary>
    /// <param name="executable">The path of <c>redis-server</c> (7.0 or later), e.g. from <see cref="RedisServer.FindExecutable"/>.</param>
    /// <param name="cancellationToken">Cancels the start; every process is then killed and the directory deleted.</param>
    /// <returns>The running cluster; dispose it to stop it.</returns>
    /// <exception cref="InvalidOperationException">A node exited or the cluster did not converge in time; the message says what.</exception>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "As RedisServer.StartAsync: the overloads differ in their first parameter's type.")]
    public static async Task<RedisCluster> StartAsync(string executable, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(executable);
        for (var attempt = 1; ; attempt++)
        {
            var cluster = new RedisCluster(executable, Directory.CreateTempSubdirectory("offlinebearer-redis-cluster-").FullName);
            try
            {
                await cluster.StartNodesAsync(cancellationToken).ConfigureAwait(false);
                await cluster.AssembleAsync(cancellationToken).ConfigureAwait(false);
                return cluster;
            }
            catch (RedisPortTakenException) when (attempt < PortAttempts)
            {
                // Most likely another process took a port between FreePorts and redis binding it: try other ones.
                await cluster.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await cluster.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>The hash slot of <paramref name="key"/>, as the cluster computes it (<c>CLUSTER KEYSLOT</c>).</summary>
    /// <param name="key">A key or channel name; a hash tag (<c>{…}</c>) decides its slot.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The slot, 0 to 16383.</returns>
    public async Task<int> SlotOfAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return (int)(long)(await RedisCommand.SendAsync(_nodes[0].Port, cancellationToken, "CLUSTER", "KEYSLOT", key).ConfigureAwait(false))!;
    }

    /// <summary>The port of the master that serves the slot of <paramref name="key"/>, once every node agrees on it.</summary>
    /// <param name="key">A key; its slot decides.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The master's port.</returns>
    public async Task<int> MasterPortAsync(string key, CancellationToken cancellationToken = default)
    {
        var slot = await SlotOfAsync(key, cancellationToken).ConfigureAwait(false);
        return (await Topology.AgreedOwnerAsync(this, slot, cancellationToken).ConfigureAwait(false)).Port;
    }

    /// <summary>
    /// Promotes the replica of the master that serves the slot of <paramref name="key"/> with <c>CLUSTER FAILOVER</c> sent
    /// to that replica (a coordinated failover: the master stops taking writes until its replica has them all), and waits
    /// until every node agrees that the replica is the master and the old master its replica, in sync, with
    /// <c>cluster_state:ok</c>.
    /// </summary>
    /// <param name="key">A key; the master serving its slot is the one replaced.</param>
    /// <param name="cancellationToken">Cancels the wait (the failover itself may still happen).</param>
    /// <returns>The port of the new master.</returns>
    /// <remarks>
    /// The masters vote for the replica, and refuse to vote for a replica of the same master twice within twice the node
    /// timeout (2 s here); a failover that did not take is sent again every 6 s, so replacing the same master again
    /// within seconds takes up to about 10 s.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The cluster did not converge within 30 seconds.</exception>
    public async Task<int> FailoverAsync(string key, CancellationToken cancellationToken = default)
    {
        var slot = await SlotOfAsync(key, cancellationToken).ConfigureAwait(false);
        var master = await Topology.AgreedOwnerAsync(this, slot, cancellationToken).ConfigureAwait(false);
        var replica = (await Topology.ViewAsync(master.Port, cancellationToken).ConfigureAwait(false)).Single(node => node.MasterId == master.Id);
        await Topology.PromoteAsync(
            this,
            replica.Port,
            $"the replica on port {replica.Port} to replace the master on port {master.Port}",
            views => views.All(view => view.Any(node => node.Id == replica.Id && node.IsMaster && node.Serves(slot))
                && view.Any(node => node.Id == master.Id && node.MasterId == replica.Id)),
            cancellationToken).ConfigureAwait(false);
        return replica.Port;
    }

    /// <summary>
    /// Starts moving the slot of <paramref name="key"/> to another master, as a resharding does: the target imports it,
    /// the source migrates it (<c>CLUSTER SETSLOT … IMPORTING / MIGRATING</c>). From now on the source answers <c>ASK</c>
    /// for a key it does not have; the returned migration moves the keys and hands the slot over.
    /// </summary>
    /// <param name="key">A key; its slot is moved.</param>
    /// <param name="cancellationToken">Cancels the commands.</param>
    /// <returns>The migration under way.</returns>
    public async Task<RedisSlotMigration> BeginSlotMigrationAsync(string key, CancellationToken cancellationToken = default)
    {
        var slot = await SlotOfAsync(key, cancellationToken).ConfigureAwait(false);
        var source = await Topology.AgreedOwnerAsync(this, slot, cancellationToken).ConfigureAwait(false);
        var target = (await Topology.ViewAsync(source.Port, cancellationToken).ConfigureAwait(false))
            .Where(node => node.IsMaster && node.Id != source.Id).OrderBy(node => node.Port).First();
        var slotText = slot.ToString(CultureInfo.InvariantCulture);
        await RedisCommand.TextAsync(target.Port, cancellationToken, "CLUSTER", "SETSLOT", slotText, "IMPORTING", source.Id).ConfigureAwait(false);
        await RedisCommand.TextAsync(source.Port, cancellationToken, "CLUSTER", "SETSLOT", slotText, "MIGRATING", target.Id).ConfigureAwait(false);
        return new RedisSlotMigration(this, slot, source, target);
    }

    /// <summary>Kills every node and deletes the directory. Safe to call more than once.</summary>
    /// <returns>A task that completes once every process has exited.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await Task.WhenAll(_nodes.Select(node => node.Process.StopAsync())).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A leftover temp directory is not worth failing a test run over.
            }
        }
    }

    /// <summary>The nodes' ports, for the topology's waits.</summary>
    internal IEnumerable<int> NodePorts => _disposed ? throw new ObjectDisposedException(nameof(RedisCluster)) : _nodes.Select(node => node.Port);

    /// <summary>Bound on each wait for the nodes to agree.</summary>
    internal static TimeSpan Timeout { get; } = TimeSpan.FromSeconds(30);

    private async Task StartNodesAsync(CancellationToken cancellationToken)
    {
        var ports = Topology.FreePorts(4 * Masters);
        for (var i = 0; i < 2 * Masters; i++)
        {
            var directory = Directory.CreateDirectory(Path.Combine(_directory, $"node-{i}")).FullName;
            var process = await RedisProcess.StartAsync(
                _executable,
                ports[i],
                directory,
                cancellationToken,
                [.. NodeArguments, "--cluster-port", ports[(2 * Masters) + i].ToString(CultureInfo.InvariantCulture)]).ConfigureAwait(false);
            _nodes.Add((ports[i], process));
        }
    }

    /// <summary>Slots and epochs first (while each node knows only itself), then the handshake, then the replicas.</summary>
    private async Task AssembleAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < _nodes.Count; i++)
        {
            var port = _nodes[i].Port;
            _ids[i] = await RedisCommand.TextAsync(port, cancellationToken, "CLUSTER", "MYID").ConfigureAwait(false);
            await RedisCommand.TextAsync(port, cancellationToken, "CLUSTER", "SET-CONFIG-EPOCH", (i + 1).ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
            if (i < Masters)
            {
                var (from, to) = (16384 * i / Masters, (16384 * (i + 1) / Masters) - 1);
                await RedisCommand.TextAsync(
                    port, cancellationToken, "CLUSTER", "ADDSLOTSRANGE", from.ToString(CultureInfo.InvariantCulture), to.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
            }
        }

        var busPorts = await Task.WhenAll(_nodes.Select(node => RedisCommand.SendAsync(node.Port, cancellationToken, "CONFIG", "GET", "cluster-port"))).ConfigureAwait(false);
        for (var i = 1; i < _nodes.Count; i++)
        {
            var busPort = (string)((object?[])busPorts[i]!)[1]!;
            await RedisCommand.TextAsync(_nodes[0].Port, cancellationToken, "CLUSTER", "MEET", "127.0.0.1", _nodes[i].Port.ToString(CultureInfo.InvariantCulture), busPort).ConfigureAwait(false);
        }

        await Topology.WaitUntilAsync(this, "every node to know the five others", views => views.All(view => view.Count == _nodes.Count), cancellationToken).ConfigureAwait(false);
        for (var i = Masters; i < _nodes.Count; i++)
        {
            await RedisCommand.TextAsync(_nodes[i].Port, cancellationToken, "CLUSTER", "REPLICATE", _ids[i - Masters]).ConfigureAwait(false);
        }

        await Topology.WaitUntilAsync(
            this,
            "three masters with one replica each",
            views => views.All(view => Enumerable.Range(0, Masters).All(i => view.Any(node => node.Id == _ids[i + Masters] && node.MasterId == _ids[i]))),
            cancellationToken).ConfigureAwait(false);
    }
}
