using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Redis.Tests.Support;
using OfflineBearer.Stores;
using StackExchange.Redis;

namespace OfflineBearer.Redis.Tests;

/// <summary>
/// Issue #22: a master of a real Redis Cluster replaced by its replica (<c>CLUSTER FAILOVER</c>, sent to the replica of
/// the master that serves the client's slot) while the fleet runs with default options: between expiries, and with a
/// refresh stopped at each of its steps until the failover is over. What must hold is read from the token server's own
/// record: no refresh token presented twice, no call failed, one token request per expiry; and a replica waiting for the
/// lease holder's write hears it after the node its subscription is on changed roles.
/// </summary>
[Collection(SharedCluster.Name)]
public sealed class ClusterFailoverTests(RedisClusterFixture cluster)
{
    private const string ClientTag = "{" + Replica.ClientName + "}";

    /// <summary>Concurrent calls each replica makes at every expiry.</summary>
    private const int Callers = 25;

    [ClusterFact]
    public async Task A_failover_between_expiries_fails_no_call_and_the_fleet_keeps_one_token_request_per_expiry()
    {
        var prefix = FleetFixture.NewPrefix();
        cluster.StartClean();
        var replicas = Enumerable.Range(0, 4).Select(_ => new Replica(cluster, prefix)).ToList();
        var outcomes = new List<string?>();
        for (var expiry = 0; expiry < 5; expiry++)
        {
            if (expiry > 0)
            {
                cluster.Time.Advance(cluster.Expiry);
            }

            if (expiry == 2)
            {
                var before = await cluster.Cluster.MasterPortAsync(ClientTag);
                Assert.NotEqual(before, await cluster.Cluster.FailoverAsync(ClientTag));
            }

            outcomes.AddRange(await Bursts.FireAtOnceAsync(replicas, Callers));
        }

        foreach (var replica in replicas)
        {
            await replica.DisposeAsync();
        }

        Assert.Equal(5 * 4 * Callers, outcomes.Count);
        Bursts.AssertNoFailures(outcomes);
        cluster.TestTokenServer.Ledger.AssertNoRefreshTokenPresentedTwice();
        Assert.Equal(0, cluster.TestTokenServer.Ledger.ReusedRefreshTokens);
        Assert.Equal(5, cluster.TestTokenServer.Ledger.TokenRequests());
    }

    [ClusterTheory]
    [InlineData(DeathPoint.BeforeLease)]
    [InlineData(DeathPoint.AfterLeaseBeforeMark)]
    [InlineData(DeathPoint.DuringRedemption)]
    [InlineData(DeathPoint.AfterAnswerBeforeWrite)]
    [InlineData(DeathPoint.AfterWrite)]
    public async Task A_failover_while_a_refresh_is_stopped_at_any_step_fails_no_call_and_presents_no_refresh_token_twice(DeathPoint step)
    {
        var prefix = FleetFixture.NewPrefix();
        cluster.StartClean();
        var spy = new TokenEndpointSpy();
        var pausing = new PausingStore(cluster.Store(prefix), spy);
        var paused = new Replica(cluster, prefix, more: services =>
        {
            Replica.AtTokenEndpoint(spy)(services);
            services.AddSingleton<ISharedTokenStore>(pausing);
        });
        List<Replica> replicas = [paused, new Replica(cluster, prefix), new Replica(cluster, prefix)];
        var outcomes = new List<string?>(await Bursts.FireAtOnceAsync(replicas, Callers));
        try
        {
            // The paused replica's refresh stops at the step; the others call meanwhile (and wait on its lease, but for
            // BeforeLease, where one of them refreshes instead); the master of the slot is replaced; the refresh goes on.
            cluster.Time.Advance(cluster.Expiry);
            pausing.PauseAt(step);
            var refreshing = Bursts.OutcomeAsync(paused.PingAsync());
            await pausing.Paused.WaitAsync(TimeSpan.FromSeconds(30));
            var others = Bursts.FireAtOnceAsync(replicas.Skip(1), Callers);
            var before = await cluster.Cluster.MasterPortAsync(ClientTag);
            var after = await cluster.Cluster.FailoverAsync(ClientTag);
            pausing.Resume();
            outcomes.Add(await refreshing);
            outcomes.AddRange(await others);
            Assert.NotEqual(before, after);

            for (var expiry = 0; expiry < 2; expiry++)
            {
                cluster.Time.Advance(cluster.Expiry);
                outcomes.AddRange(await Bursts.FireAtOnceAsync(replicas, Callers));
            }
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }

            await pausing.DisposeAsync();
        }

        Bursts.AssertNoFailures(outcomes);
        cluster.TestTokenServer.Ledger.AssertNoRefreshTokenPresentedTwice();
        Assert.Equal(0, cluster.TestTokenServer.Ledger.ReusedRefreshTokens);
        Assert.Equal(4, cluster.TestTokenServer.Ledger.TokenRequests());
        Assert.Equal(3, cluster.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
    }

    [ClusterFact]
    public async Task A_replica_waiting_for_the_write_hears_it_after_the_node_its_subscription_is_on_changed_roles()
    {
        var prefix = FleetFixture.NewPrefix();
        ConnectionMultiplexer? connection = null;
        await using var waiter = cluster.Store(prefix, async () => connection = await ConnectionMultiplexer.ConnectAsync(cluster.RedisConfiguration));
        await using var writer = cluster.Store(prefix);
        var waiting = waiter.WaitForNewerAsync(Replica.ClientName, 0, TimeSpan.FromMinutes(1), default).AsTask();
        var channel = RedisChannel.Literal(FleetFixture.Key(prefix, "written"));
        await Bursts.UntilAsync(() => Task.FromResult(connection?.GetSubscriber().SubscribedEndpoint(channel) is not null), "the waiter's subscription");
        var subscribedOn = ((System.Net.IPEndPoint)connection!.GetSubscriber().SubscribedEndpoint(channel)!).Port;

        // Replace the master of the subscribed node's shard (the node itself, or the master it replicates).
        var key = await KeyOfShardAsync(subscribedOn);
        var before = await cluster.Cluster.MasterPortAsync(key);
        var after = await cluster.Cluster.FailoverAsync(key);
        var lease = await writer.TryAcquireLeaseAsync(Replica.ClientName, TimeSpan.FromMinutes(1), default);
        Assert.True(await writer.TryWriteAsync(Replica.ClientName, lease!, new SharedTokenState(1, "rt-1", "at-1", null, null), default));

        var seen = await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains(subscribedOn, new[] { before, after });
        Assert.Equal(1, seen?.Version);
    }

    /// <summary>A key whose slot is served by the node on <paramref name="port"/>, or by the master it replicates.</summary>
    private async Task<string> KeyOfShardAsync(int port)
    {
        var master = await cluster.OnClusterAsync(async redis =>
        {
            var server = redis.GetServer("127.0.0.1", port);
            var replication = await server.InfoRawAsync("replication") ?? "";
            var line = replication.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("master_port:", StringComparison.Ordinal));
            return line is null ? port : int.Parse(line["master_port:".Length..], System.Globalization.CultureInfo.InvariantCulture);
        });
        for (var i = 0; ; i++)
        {
            var key = $"shard-probe-{i}";
            if (await cluster.Cluster.MasterPortAsync(key) == master)
            {
                return key;
            }
        }
    }
}
