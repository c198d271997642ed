using System.Text.RegularExpressions;
using OfflineBearer.DevServer;
using OfflineBearer.Redis.Tests.Support;

namespace OfflineBearer.Redis.Tests;

/// <summary>
/// Issue #8 with real OS processes: three replicas share one token on a real redis-server; one is killed with SIGKILL
/// right after the token server rotated the refresh token it redeemed, before it could share the new one. Processes run
/// on the real clock, so this test waits real time (bounded, about ten seconds), with 3-second access tokens.
/// </summary>
public sealed partial class ProcessFleetTests
{
    [Fact]
    public async Task Three_replica_processes_one_killed_mid_refresh_never_redeem_a_refresh_token_twice_and_the_others_go_on()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var server = await TokenServer.StartAsync(new DevServerOptions
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
            var requestsBefore = server.Stats.TokenRequests();

            // Long enough for the dead replica's lease (4 s) to run out and for tokens (3 s) to be renewed after it.
            await Task.Delay(TimeSpan.FromSeconds(10));

            var succeededAfter = survivors.Select(replica => replica.Succeeded).ToList();
            var done = await Task.WhenAll(survivors.Select(replica => replica.StopAsync(TimeSpan.FromSeconds(30))));

            Assert.Equal(0, server.Stats.ReusedRefreshTokens);
            Assert.True(server.Stats.TokenRequests() > requestsBefore, "the fleet asked for no token after the kill");
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

    [GeneratedRegex("DONE ok=(\\d+) failed=(\\d+)")]
    private static partial Regex Done();
}
