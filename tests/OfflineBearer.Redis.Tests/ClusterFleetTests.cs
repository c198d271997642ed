using System.Net;
using OfflineBearer.Redis.Tests.Support;
using StackExchange.Redis;

namespace OfflineBearer.Redis.Tests;

/// <summary>
/// Issue #22: the fleet on a real Redis Cluster (<see cref="Testing.Redis.RedisCluster"/>: three masters, a replica each)
/// with default options, against the development token server with rotation and strict reuse detection, on the shared
/// fake clock. A client's keys and channel share one slot; the fleet makes one token request per expiry however many
/// replicas and callers; a slot moved to another master mid-run is followed through ASK and MOVED, and a refresh that
/// meets the move (TRYAGAIN) waits for it instead of failing.
/// </summary>
[Collection(SharedCluster.Name)]
public sealed class ClusterFleetTests(RedisClusterFixture cluster)
{
    private const string ClientTag = "{" + Replica.ClientName + "}";

    [ClusterFact]
    public async Task A_clients_keys_and_channel_hash_to_one_slot_and_live_on_the_master_that_serves_it()
    {
        var prefix = FleetFixture.NewPrefix();
        cluster.StartClean();
        var spy = new TokenEndpointSpy();
        await using var holder = new Replica(cluster, prefix, more: Replica.AtTokenEndpoint(spy));
        await using var waiter = new Replica(cluster, prefix);
        Assert.Equal(HttpStatusCode.OK, await holder.PingAsync());
        Assert.Equal(HttpStatusCode.OK, await waiter.PingAsync());

        // Mid-refresh: the holder has the lease and the mark, the state is there, the waiter listens on the channel.
        cluster.Time.Advance(cluster.Expiry);
        spy.Hold();
        var refreshing = holder.PingAsync();
        await spy.Answered.WaitAsync(TimeSpan.FromSeconds(30));
        var waiting = waiter.PingAsync();
        var channels = new List<string>();
        await Bursts.UntilAsync(async () => (channels = await ChannelsAsync(prefix)).Count > 0, "the waiting replica's subscription");
        var keys = await KeysAsync(prefix);
        spy.Release();

        Assert.Equal(HttpStatusCode.OK, await refreshing);
        Assert.Equal(HttpStatusCode.OK, await waiting);
        Assert.Equal(["lease", "spending", "state"], keys.Select(key => key.Name[(key.Name.LastIndexOf(':') + 1)..]).Order());
        var slots = await Task.WhenAll(keys.Select(key => key.Name).Concat(channels).Select(name => cluster.Cluster.SlotOfAsync(name)));
        Assert.Equal(4, slots.Length);
        Assert.Single(slots.Distinct());
        Assert.Equal(await cluster.Cluster.SlotOfAsync(ClientTag), slots[0]);
        Assert.Equal([await cluster.Cluster.MasterPortAsync(ClientTag)], keys.Select(key => key.Port).Distinct());
        Assert.Equal(0, cluster.TestTokenServer.Ledger.RefreshTokensPresentedAgain);
        Assert.Equal(1, cluster.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
    }

    [ClusterFact]
    public async Task Four_replicas_under_load_on_a_cluster_cost_one_token_request_per_expiry_and_never_present_a_refresh_token_twice()
    {
        const int Replicas = 4;
        const int Concurrent = 100;
        const int Lifetimes = 6;
        var prefix = FleetFixture.NewPrefix();
        cluster.StartClean();
        var replicas = Enumerable.Range(0, Replicas).Select(_ => new Replica(cluster, prefix)).ToList();
        var outcomes = new List<string?>();
        for (var lifetime = 0; lifetime < Lifetimes; lifetime++)
        {
            if (lifetime > 0)
            {
                cluster.Time.Advance(cluster.Expiry);
            }

            outcomes.AddRange(await Bursts.FireAtOnceAsync(replicas, Concurrent));
        }

        foreach (var replica in replicas)
        {
            await replica.DisposeAsync();
        }

        var ledger = cluster.TestTokenServer.Ledger;
        Assert.Equal(Replicas * Concurrent * Lifetimes, outcomes.Count);
        Bursts.AssertNoFailures(outcomes);
        ledger.AssertNoRefreshTokenPresentedTwice();
        Assert.Equal(0, ledger.ReusedRefreshTokens);
        Assert.Equal(0, ledger.FailedTokenRequests);
        Assert.Equal(Lifetimes, ledger.TokenRequests());
        Assert.Equal(1, ledger.TokenRequests(grant: "client_credentials"));
    }

    [ClusterFact]
    public async Task A_slot_moved_to_another_master_mid_refresh_is_followed_through_ASK_TRYAGAIN_and_MOVED_with_one_token_request_per_expiry()
    {
        const int Concurrent = 50;
        var prefix = FleetFixture.NewPrefix();
        cluster.StartClean();
        var replicas = Enumerable.Range(0, 4).Select(_ => new Replica(cluster, prefix)).ToList();
        var outcomes = new List<string?>(await Bursts.FireAtOnceAsync(replicas, Concurrent));

        // The move begins; the next expiry's burst meets it: the lease goes to the target through ASK, and the mark (on the
        // lease and a key neither side has) is answered TRYAGAIN until the move is complete.
        cluster.Time.Advance(cluster.Expiry);
        var migration = await cluster.Cluster.BeginSlotMigrationAsync(ClientTag);
        var sourceBefore = await cluster.StatsAsync(migration.SourcePort, "ASK", "asking");
        var targetBefore = await cluster.StatsAsync(migration.TargetPort, "TRYAGAIN", "asking");
        var burst = Bursts.FireAtOnceAsync(replicas, Concurrent);
        try
        {
            await Bursts.UntilAsync(async () => (await cluster.StatsAsync(migration.TargetPort, "TRYAGAIN", "asking")).Errors > targetBefore.Errors, "a TRYAGAIN");

            // The state moves (the lease is on the target already, the mark on neither side): every key is on the target,
            // the source answers ASK for all of them, and the mark is still TRYAGAIN there until the slot is handed over.
            await migration.MoveKeysAsync();
        }
        finally
        {
            await migration.CompleteAsync();
        }

        outcomes.AddRange(await burst);
        var sourceDuring = await cluster.StatsAsync(migration.SourcePort, "ASK", "asking");
        var targetDuring = await cluster.StatsAsync(migration.TargetPort, "TRYAGAIN", "asking");

        // Every replica's connection still sends the slot to the source, which answers MOVED.
        var movedBefore = (await cluster.StatsAsync(migration.SourcePort, "MOVED", "asking")).Errors;
        for (var expiry = 0; expiry < 2; expiry++)
        {
            cluster.Time.Advance(cluster.Expiry);
            outcomes.AddRange(await Bursts.FireAtOnceAsync(replicas, Concurrent));
        }

        var movedAfter = (await cluster.StatsAsync(migration.SourcePort, "MOVED", "asking")).Errors;
        foreach (var replica in replicas)
        {
            await replica.DisposeAsync();
        }

        var ledger = cluster.TestTokenServer.Ledger;
        Assert.Equal(4 * 4 * Concurrent, outcomes.Count);
        Bursts.AssertNoFailures(outcomes);
        Assert.True(sourceDuring.Errors > sourceBefore.Errors, "the source answered no ASK");
        Assert.True(targetDuring.Calls > targetBefore.Calls, "no ASKING reached the target");
        Assert.True(movedAfter > movedBefore, "the old owner answered no MOVED");
        Assert.Equal(migration.TargetPort, await cluster.Cluster.MasterPortAsync(ClientTag));
        ledger.AssertNoRefreshTokenPresentedTwice();
        Assert.Equal(0, ledger.ReusedRefreshTokens);
        Assert.Equal(4, ledger.TokenRequests());
        Assert.Equal(3, ledger.TokenRequests(grant: "refresh_token"));
    }

    [ClusterFact]
    public async Task A_write_that_meets_its_slot_half_moved_after_the_server_rotated_the_refresh_token_waits_for_the_move_and_shares_the_token()
    {
        var prefix = FleetFixture.NewPrefix();
        cluster.StartClean();
        var offlineToken = await cluster.TestTokenServer.GetPublicClientOfflineTokenAsync();
        cluster.TestTokenServer.Ledger.Reset();
        var spy = new TokenEndpointSpy();
        await using var holder = new Replica(cluster, prefix, Replica.PublicClient(offlineToken), more: Replica.AtTokenEndpoint(spy));
        await using var other = new Replica(cluster, prefix, Replica.PublicClient(offlineToken));
        Assert.Equal(HttpStatusCode.OK, await holder.PingAsync());
        Assert.Equal(HttpStatusCode.OK, await other.PingAsync());

        // The server has rotated the holder's refresh token; then the slot starts to move and its lease alone goes first,
        // so the write's keys are on both sides: the source, which has some of them, answers TRYAGAIN until the move is
        // complete.
        cluster.Time.Advance(cluster.Expiry);
        spy.Hold();
        var refreshing = Bursts.OutcomeAsync(holder.PingAsync());
        await spy.Answered.WaitAsync(TimeSpan.FromSeconds(30));
        var migration = await cluster.Cluster.BeginSlotMigrationAsync(ClientTag);
        try
        {
            Assert.Equal(1, await migration.MoveKeysAsync([FleetFixture.Key(prefix, "lease")]));
            var tryAgainBefore = (await cluster.StatsAsync(migration.SourcePort, "TRYAGAIN", "asking")).Errors;
            spy.Release();
            await Bursts.UntilAsync(async () => (await cluster.StatsAsync(migration.SourcePort, "TRYAGAIN", "asking")).Errors > tryAgainBefore, "the write's TRYAGAIN");
        }
        finally
        {
            spy.Release();
            await migration.CompleteAsync();
        }

        var holderOutcome = await refreshing;

        // The other replica redeems what the holder shared; without it, only the mark would be left, and a public client
        // would have to ask for a new offline token.
        cluster.Time.Advance(cluster.Expiry);
        var otherOutcome = await Bursts.OutcomeAsync(other.PingAsync());

        Assert.Null(otherOutcome);
        Assert.Null(holderOutcome);
        cluster.TestTokenServer.Ledger.AssertNoRefreshTokenPresentedTwice();
        Assert.Equal(3, cluster.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
    }

    /// <summary>Every key under <paramref name="prefix"/> on every master, with the master's port.</summary>
    private Task<List<(string Name, int Port)>> KeysAsync(string prefix) => cluster.OnClusterAsync(async redis =>
    {
        var keys = new List<(string, int)>();
        foreach (var port in cluster.Cluster.Ports)
        {
            var server = redis.GetServer("127.0.0.1", port);
            if (!server.IsReplica)
            {
                await foreach (var key in server.KeysAsync(pattern: prefix + "*"))
                {
                    keys.Add((key.ToString(), port));
                }
            }
        }

        return keys;
    });

    /// <summary>The channels under <paramref name="prefix"/> that some node has a subscriber on.</summary>
    private Task<List<string>> ChannelsAsync(string prefix) => cluster.OnClusterAsync<List<string>>(async redis =>
    {
        var channels = new List<string>();
        foreach (var port in cluster.Cluster.Ports)
        {
            var found = await redis.GetServer("127.0.0.1", port).SubscriptionChannelsAsync(RedisChannel.Pattern(prefix + "*"));
            channels.AddRange(found.Select(channel => channel.ToString()));
        }

        return [.. channels.Distinct()];
    });
}
