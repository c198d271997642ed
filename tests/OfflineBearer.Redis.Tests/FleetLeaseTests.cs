using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Internal;
using OfflineBearer.Redis.Internal;
using OfflineBearer.Redis.Tests.Support;

namespace OfflineBearer.Redis.Tests;

/// <summary>
/// The refresh lease: it outlives a whole refresh; a holder that lost it never uses what it got; a replica waits for
/// a lease another one holds only until it runs out, and never past its own TokenRequestTimeout. Time moves only when
/// the waiting replica has armed its next look at the lease (<see cref="WatchedTime"/>).
/// </summary>
[Collection(Fleet.Name)]
public sealed class FleetLeaseTests(FleetFixture fleet)
{
    [Fact]
    public async Task The_refresh_lease_lasts_longer_than_a_whole_refresh_may_take()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var spy = new TokenEndpointSpy();
        await using var replica = new Replica(fleet, prefix, more: Replica.AtTokenEndpoint(spy));
        spy.Hold();

        var call = replica.PingAsync();
        await spy.Answered.WaitAsync(TimeSpan.FromSeconds(30));
        var left = await fleet.OnRedisAsync(redis => redis.KeyTimeToLiveAsync(FleetFixture.Key(prefix, "lease")));
        spy.Release();

        Assert.Equal(HttpStatusCode.OK, await call);
        Assert.NotNull(left);
        Assert.True(left > new OfflineBearerOptions().TokenRequestTimeout, $"the lease had {left} left during the refresh");
    }

    [Fact]
    public async Task A_holder_whose_lease_was_lost_with_redis_data_does_not_use_its_token_and_redeems_the_new_refresh_token_next()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var spy = new TokenEndpointSpy();
        await using var replica = new Replica(fleet, prefix, more: Replica.AtTokenEndpoint(spy));
        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
        fleet.Time.Advance(fleet.AccessTokenLifetime);

        // The server rotates the refresh token; before the replica writes the new one, Redis loses its data, lease included.
        spy.Hold();
        var call = replica.PingAsync();
        await spy.Answered.WaitAsync(TimeSpan.FromSeconds(30));
        await fleet.OnRedisAsync(redis => redis.KeyDeleteAsync(
            [FleetFixture.Key(prefix, "state"), FleetFixture.Key(prefix, "lease"), FleetFixture.Key(prefix, "spending")]));
        spy.Release();
        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => call);
        fleet.Time.Advance(FailurePause.WithoutToken);
        var status = await replica.PingAsync();

        Assert.Contains("lost its refresh lease before it could share the new token with the other replicas, so it does not use it", error.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, fleet.TokenServer.Stats.ReusedRefreshTokens);
        Assert.Equal(2, fleet.TokenServer.Stats.TokenRequests("refresh_token"));
        Assert.Equal(1, fleet.TokenServer.Stats.TokenRequests("client_credentials"));
    }

    [Fact]
    public async Task A_replica_that_died_holding_the_lease_delays_the_others_only_until_the_lease_runs_out()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        await using (var dead = fleet.Store(prefix))
        {
            // It had shared a token before, long expired now, and died during the next refresh.
            var before = await dead.TryAcquireLeaseAsync(Replica.ClientName, TimeSpan.FromMinutes(1), default);
            Assert.True(await dead.TryWriteAsync(Replica.ClientName, before!, new SharedTokenState(
                1, null, "expired-access-token", fleet.ScheduledLifetime, fleet.Time.GetUtcNow() - TimeSpan.FromMinutes(1)), default));
            await dead.ReleaseLeaseAsync(Replica.ClientName, before!, default);
            Assert.NotNull(await dead.TryAcquireLeaseAsync(Replica.ClientName, TimeSpan.FromMinutes(1), default));
        }

        var time = new WatchedTime(fleet.Time);
        await using var survivor = new Replica(fleet, prefix, time: time);
        var call = survivor.PingAsync();

        // It waits for the holder's write and looks at the lease again every second.
        Assert.True(await time.TimerStartedAsync(SharedRefresh.LeaseCheckInterval, call));
        fleet.Time.Advance(SharedRefresh.LeaseCheckInterval);
        Assert.True(await time.TimerStartedAsync(SharedRefresh.LeaseCheckInterval, call));
        Assert.Equal(0, fleet.TokenServer.Stats.TokenRequests());

        // The lease runs out (deleted, as its expiry in Redis's own time would); the next look finds it free.
        await fleet.OnRedisAsync(redis => redis.KeyDeleteAsync(FleetFixture.Key(prefix, "lease")));
        fleet.Time.Advance(SharedRefresh.LeaseCheckInterval);
        var status = await call;

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, fleet.TokenServer.Stats.TokenRequests());
    }

    [Fact]
    public async Task A_replica_waiting_for_a_lease_stops_at_its_token_request_timeout_even_on_a_store_that_ignores_cancellation()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        await using (var dead = fleet.Store(prefix))
        {
            Assert.NotNull(await dead.TryAcquireLeaseAsync(Replica.ClientName, TimeSpan.FromMinutes(5), default));
        }

        var time = new WatchedTime(fleet.Time);
        var timeout = new OfflineBearerOptions().TokenRequestTimeout;
        await using var replica = new Replica(fleet, prefix, time: time, more: services => services.AddSingleton<ISharedTokenStore>(_ =>
            new IgnoresCancellation(new RedisSharedTokenStore(
                new RedisTokenStoreOptions { KeyPrefix = prefix },
                async () => await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fleet.Redis.Configuration),
                ownsConnection: true,
                time,
                TokenProtection.None))));
        var call = replica.PingAsync();

        var looks = 0;
        while (looks < 2 * timeout / SharedRefresh.LeaseCheckInterval && await time.TimerStartedAsync(SharedRefresh.LeaseCheckInterval, call))
        {
            fleet.Time.Advance(SharedRefresh.LeaseCheckInterval);
            looks++;
        }

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => call);
        Assert.Contains("TokenRequestTimeout", error.Message, StringComparison.Ordinal);
        Assert.InRange(looks, timeout / SharedRefresh.LeaseCheckInterval, (timeout / SharedRefresh.LeaseCheckInterval) + 1);
        Assert.Equal(0, fleet.TokenServer.Stats.TokenRequests());
    }

    /// <summary>A shared store written without regard for cancellation: OfflineBearer must not wait on it for ever.</summary>
    private sealed class IgnoresCancellation(RedisSharedTokenStore inner) : ISharedTokenStore, IAsyncDisposable
    {
        public bool AllowLocalRefreshWhenUnavailable => inner.AllowLocalRefreshWhenUnavailable;

        public ValueTask<SharedTokenState?> ReadAsync(string clientName, CancellationToken cancellationToken) =>
            inner.ReadAsync(clientName, CancellationToken.None);

        public ValueTask<string?> TryAcquireLeaseAsync(string clientName, TimeSpan duration, CancellationToken cancellationToken) =>
            inner.TryAcquireLeaseAsync(clientName, duration, CancellationToken.None);

        public ValueTask<bool> TryWriteAsync(string clientName, string lease, SharedTokenState state, CancellationToken cancellationToken) =>
            inner.TryWriteAsync(clientName, lease, state, CancellationToken.None);

        public ValueTask<bool> TryMarkRedeemingAsync(string clientName, string lease, bool redeeming, CancellationToken cancellationToken) =>
            inner.TryMarkRedeemingAsync(clientName, lease, redeeming, CancellationToken.None);

        public ValueTask ReleaseLeaseAsync(string clientName, string lease, CancellationToken cancellationToken) =>
            inner.ReleaseLeaseAsync(clientName, lease, CancellationToken.None);

        public ValueTask<SharedTokenState?> WaitForNewerAsync(string clientName, long version, TimeSpan timeout, CancellationToken cancellationToken) =>
            inner.WaitForNewerAsync(clientName, version, timeout, CancellationToken.None);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
