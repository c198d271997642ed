using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using OfflineBearer.Testing;
using OfflineBearer.Testing.Redis;
using OfflineBearer.Redis.Tests.Support;

namespace OfflineBearer.Redis.Tests;

/// <summary>
/// Issue #8 with real OS processes: three replicas share one token on a real Redis server (<c>redis-server</c>, or the
/// embedded Garnet in this test process, which the replicas reach over TCP all the same); one is killed with SIGKILL
/// right after the token server rotated the refresh token it redeemed, before it could share the new one. Processes run
/// on the real clock with 3-second access tokens, so this test polls for the outcome (bounded) instead of moving a fake clock.
/// </summary>
[Collection(RealTimeAlone.Name)]
public sealed partial class ProcessFleetTests
{
    /// <summary>Only against a hang: the fleet settles in about thirteen seconds (a 10-second lease, 3-second tokens).</summary>
    private static readonly TimeSpan SettleBound = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task Three_replica_processes_one_killed_mid_refresh_never_redeem_a_refresh_token_twice_and_the_others_go_on()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var server = await TestTokenServer.StartAsync(new TestTokenServerOptions
        {
            AccessTokenLifetime = TimeSpan.FromSeconds(3),
            RotateRefreshTokens = true,
            ConfigureLogging = _ => { },
        });
        var prefix = $"process-test-{Guid.NewGuid():N}:";
        var replicas = Enumerable.Range(0, 3).Select(_ => ReplicaProcess.Start(server, redis.Configuration, prefix)).ToList();
        try
        {
            var first = await Task.WhenAny(replicas.Select(async replica =>
            {
                await replica.Redeemed.Task;
                return replica;
            })).WaitAsync(TimeSpan.FromSeconds(60));
            var victim = await first;
            victim.Kill();
            var survivors = replicas.Where(replica => replica != victim).ToList();
            var succeededBefore = survivors.Select(replica => replica.Succeeded).ToList();
            var requestsBefore = server.Ledger.TokenRequests();

            // Until the fleet has asked for tokens twice after the kill (so the dead replica's lease, 10 s, has run out and
            // the refresh after it has been redeemed) and every survivor has made a good call since; bounded, not timed.
            var settled = Stopwatch.StartNew();
            bool Settled() => server.Ledger.TokenRequests() >= requestsBefore + 2
                && survivors.Select((replica, i) => replica.Succeeded > succeededBefore[i]).All(moved => moved);
            while (!Settled() && settled.Elapsed < SettleBound)
            {
                await Task.Delay(PollInterval);
            }

            var succeededAfter = survivors.Select(replica => replica.Succeeded).ToList();
            var done = await Task.WhenAll(survivors.Select(replica => replica.StopAsync(TimeSpan.FromSeconds(30))));

            Assert.Equal(0, server.Ledger.ReusedRefreshTokens);
            Assert.True(server.Ledger.TokenRequests() > requestsBefore, "the fleet asked for no token after the kill");
            for (var i = 0; i < survivors.Count; i++)
            {
                Assert.True(succeededAfter[i] > succeededBefore[i], $"a survivor made no good call after the kill ({done[i]})");
                Assert.Matches(Done(), done[i]);
            }
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Three_replica_processes_seeded_with_an_offline_token_one_killed_while_redeeming_it_present_no_refresh_token_twice_and_fail_no_call()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var server = await TestTokenServer.StartAsync(new TestTokenServerOptions
        {
            AccessTokenLifetime = TimeSpan.FromSeconds(3),
            RotateRefreshTokens = true,
            ConfigureLogging = _ => { },
        });
        var offlineToken = await OfflineTokens.OfConfidentialClientAsync(server);
        server.Ledger.Reset();

        // As reported: a configured offline token, and client_credentials that brings no refresh token (no offline_access).
        var client = new ReplicaClient(TestTokenServer.BasicClientId, TestTokenServer.BasicClientSecret, offlineToken, TestTokenServer.ApiScope);
        var prefix = $"process-test-{Guid.NewGuid():N}:";
        var replicas = Enumerable.Range(0, 3).Select(_ => ReplicaProcess.Start(server, redis.Configuration, prefix, client)).ToList();
        try
        {
            var victim = await await Task.WhenAny(replicas.Select(async replica =>
            {
                await replica.Redeemed.Task;
                return replica;
            })).WaitAsync(TimeSpan.FromSeconds(60));
            victim.Kill();
            var survivors = replicas.Where(replica => replica != victim).ToList();

            // Until the fleet has written two states after the kill: one once the dead replica's lease (10 s) ran out, and
            // the next expiry's, where the configured token was presented again; bounded, not timed.
            await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.Configuration);
            async Task<long> VersionAsync() => (long?)await connection.GetDatabase().HashGetAsync($"{prefix}{{inventory}}:state", "v") ?? 0;
            var settled = Stopwatch.StartNew();
            while (await VersionAsync() < 2 && settled.Elapsed < SettleBound)
            {
                await Task.Delay(PollInterval);
            }

            var version = await VersionAsync();

            var done = await Task.WhenAll(survivors.Select(replica => replica.StopAsync(TimeSpan.FromSeconds(30))));

            Assert.Equal(0, server.Ledger.RefreshTokensPresentedAgain);
            Assert.Equal(0, server.Ledger.ReusedRefreshTokens);
            Assert.True(version >= 2, $"the fleet wrote version {version} after the kill, not two expiries' worth");
            foreach (var line in done)
            {
                var counts = Done().Match(line);
                Assert.True(counts.Success, line);
                Assert.True(int.Parse(counts.Groups[1].Value, CultureInfo.InvariantCulture) > 0, $"a survivor made no good call: {line}");
                Assert.Equal("0", counts.Groups[2].Value);
            }
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    [GeneratedRegex("DONE ok=(\\d+) failed=(\\d+)")]
    private static partial Regex Done();
}
