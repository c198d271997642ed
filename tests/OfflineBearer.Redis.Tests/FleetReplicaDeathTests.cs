using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Fleet;
using OfflineBearer.Redis.Tests.Support;

namespace OfflineBearer.Redis.Tests;

/// <summary>
/// A replica dies at each step of a refresh (an injection point per step, <see cref="DyingStore"/>), and two survivors
/// go on calling the API, eight calls at once each second, for several token lifetimes on the shared fake clock, with
/// default options. What must hold is
/// read from the token server's own record: no refresh token presented twice; a confidential client fails no call; a
/// public one fails only once the fleet's newest token has expired. The fleet starts from a configured offline token;
/// the confidential client asks for no offline_access, so client_credentials brings no refresh token (Keycloak's default).
/// </summary>
[Collection(SharedFleet.Name)]
public sealed class FleetReplicaDeathTests(FleetFixture fleet)
{
    /// <summary>The survivors call once a second for this long: past the dead replica's lease (twice TokenRequestTimeout).</summary>
    private static readonly TimeSpan Watched = TimeSpan.FromSeconds(90);

    private static readonly TimeSpan Step = TimeSpan.FromSeconds(1);

    /// <summary>Concurrent calls each survivor makes at every step.</summary>
    private const int Callers = 8;

    public static TheoryData<DeathPoint, bool> EveryStepBothKinds()
    {
        var data = new TheoryData<DeathPoint, bool>();
        foreach (var point in Enum.GetValues<DeathPoint>())
        {
            data.Add(point, false);
            data.Add(point, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryStepBothKinds))]
    public async Task A_replica_killed_at_any_step_of_a_refresh_never_makes_the_fleet_present_a_refresh_token_twice(DeathPoint point, bool publicClient)
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var offlineToken = publicClient ? await fleet.TestTokenServer.GetPublicClientOfflineTokenAsync() : await OfflineTokens.OfConfidentialClientAsync(fleet.TestTokenServer);
        Action<OfflineBearerOptions> configure = publicClient
            ? Replica.PublicClient(offlineToken)
            : o =>
            {
                o.RefreshToken = offlineToken;
                o.Scope = TestTokenServer.ApiScope;
            };
        var spy = new TokenEndpointSpy();
        var dying = new DyingStore(fleet.Store(prefix), spy);
        var victim = new Replica(fleet, prefix, configure, more: services =>
        {
            Replica.AtTokenEndpoint(spy)(services);
            services.AddSingleton<ISharedTokenStore>(dying);
        });
        var times = new[] { new WatchedTime(fleet.Time), new WatchedTime(fleet.Time) };
        var survivors = times.Select(time => new Replica(fleet, prefix, configure, time: time)).ToList();
        var failures = new List<(DateTimeOffset At, string Why)>();
        try
        {
            // The victim seeds the fleet with the configured token; the survivors adopt what it shared.
            Assert.Equal(HttpStatusCode.OK, await victim.PingAsync());
            foreach (var survivor in survivors)
            {
                Assert.Equal(HttpStatusCode.OK, await survivor.PingAsync());
            }

            // Into the refresh window of the shared token: the victim's next call refreshes, and it dies on the way.
            dying.DieAt(point);
            fleet.Time.Advance(fleet.RefreshWindowOpensAfter);
            _ = victim.PingAsync();
            await dying.Died.WaitAsync(TimeSpan.FromSeconds(30));
            var diedAt = fleet.Time.GetUtcNow();

            while (fleet.Time.GetUtcNow() - diedAt < Watched)
            {
                for (var i = 0; i < survivors.Count; i++)
                {
                    foreach (var failure in await CallAsync(survivors[i], times[i], () => ExpireLeaseAsync(prefix, dying, diedAt)))
                    {
                        failures.Add((fleet.Time.GetUtcNow(), failure));
                        await AssertFleetTokenExpiredAsync(prefix, failure, publicClient);
                    }
                }

                fleet.Time.Advance(Step);
                await ExpireLeaseAsync(prefix, dying, diedAt);
            }
        }
        finally
        {
            foreach (var survivor in survivors)
            {
                await survivor.DisposeAsync();
            }

            await victim.DisposeAsync();
            await dying.DisposeAsync();
        }

        Assert.Equal(0, fleet.TestTokenServer.Ledger.RefreshTokensPresentedAgain);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.ReusedRefreshTokens);
        if (!publicClient)
        {
            Assert.Empty(failures);
        }
    }

    /// <summary>
    /// <see cref="Callers"/> calls at once, with the clock moved a look at a time while the survivor waits; the failures.
    /// </summary>
    private async Task<IEnumerable<string>> CallAsync(Replica survivor, WatchedTime time, Func<Task> timeMoved)
    {
        var calls = Enumerable.Range(0, Callers).Select(_ => OutcomeAsync(survivor)).ToList();
        var all = Task.WhenAll(calls);
        while (!all.IsCompleted && await time.TimerStartedAsync(LeaseWait.LeaseCheckInterval, all))
        {
            fleet.Time.Advance(LeaseWait.LeaseCheckInterval);
            await timeMoved();
        }

        return (await all).OfType<string>();
    }

    /// <summary>Null for a good call, else why it failed.</summary>
    private static async Task<string?> OutcomeAsync(Replica survivor)
    {
        try
        {
            var status = await survivor.PingAsync();
            return status == HttpStatusCode.OK ? null : $"HTTP {(int)status}";
        }
        catch (OfflineBearerException e)
        {
            return e.Message;
        }
        catch (TaskCanceledException e)
        {
            throw new InvalidOperationException(
                "The call hung; the survivor logged:\n" + string.Join("\n", survivor.Logs.GetSnapshot().Select(r => $"{r.Level} {r.Message}")), e);
        }
    }

    /// <summary>A public client may fail only once the newest token the fleet shared has expired.</summary>
    private async Task AssertFleetTokenExpiredAsync(string prefix, string failure, bool publicClient)
    {
        Assert.True(publicClient, $"a confidential survivor's call failed: {failure}");
        var state = await fleet.ReadStateAsync(prefix);
        Assert.True(
            state?.AccessTokenExpiresAt is not { } expiresAt || expiresAt <= fleet.Time.GetUtcNow(),
            $"a public survivor's call failed while the fleet's token was valid until {state?.AccessTokenExpiresAt}: {failure}");
    }

    /// <summary>The dead replica's lease runs out in Redis's own time; on the fake clock the test takes it away when it would.</summary>
    private async Task ExpireLeaseAsync(string prefix, DyingStore dying, DateTimeOffset diedAt)
    {
        if (dying.Lease is { } lease && fleet.Time.GetUtcNow() - diedAt >= 2 * new OfflineBearerOptions().TokenRequestTimeout)
        {
            await fleet.OnRedisAsync(redis => redis.ScriptEvaluateAsync(
                "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
                [FleetFixture.Key(prefix, "lease")],
                [lease]));
        }
    }
}
