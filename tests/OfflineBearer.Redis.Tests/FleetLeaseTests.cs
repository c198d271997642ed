using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Caching;
using OfflineBearer.Fleet;
using OfflineBearer.Redis.Internal;
using OfflineBearer.Redis.Tests.Support;
using OfflineBearer.Stores;

namespace OfflineBearer.Redis.Tests;

/// <summary>
/// The refresh lease: it outlives a whole refresh; a holder that lost it never uses what it got; a replica waits for a
/// silent holder one look, then a confidential one gets a token of its own and a public one waits while its token is
/// valid, never past a holder's patience without one. Time moves only when
/// the waiting replica has armed its next look at the lease (<see cref="WatchedTime"/>).
/// </summary>
[Collection(SharedFleet.Name)]
public sealed class FleetLeaseTests(FleetFixture fleet)
{
    private static readonly Task Never = new TaskCompletionSource().Task;

    [Fact]
    public async Task The_refresh_lease_lasts_longer_than_a_whole_refresh_may_take()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var spy = new TokenEndpointSpy();
        await using var replica = new Replica(fleet, prefix, more: Replica.AtTokenEndpoint(spy));

        var call = await RefreshAnsweredButHeldBackAsync(replica, spy);
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
        var call = await RefreshAnsweredButHeldBackAsync(replica, spy);
        await fleet.OnRedisAsync(redis => redis.KeyDeleteAsync(
            [FleetFixture.Key(prefix, "state"), FleetFixture.Key(prefix, "lease"), FleetFixture.Key(prefix, "spending")]));
        spy.Release();
        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => call);
        fleet.Time.Advance(FailurePause.WithoutToken);
        var status = await replica.PingAsync();

        Assert.Contains("lost its refresh lease before it could share the new token with the other replicas, so it does not use it", error.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.ReusedRefreshTokens);
        Assert.Equal(2, fleet.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests(grant: "client_credentials"));
    }

    [Fact]
    public async Task A_confidential_replica_whose_token_expires_before_a_silent_holders_lease_serves_the_call_with_client_credentials_and_goes_back_to_the_fleet()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var dead = await StageDeadHolderAsync(prefix, TimeSpan.FromMinutes(1));
        var time = new WatchedTime(fleet.Time);
        await using var survivor = new Replica(fleet, prefix, time: time);
        var call = survivor.PingAsync();

        // It gives the holder one look (a live one shares its token within it), then gets a token of its own.
        Assert.True(await time.TimerStartedAsync(LeaseWait.LeaseCheckInterval, call));
        Assert.Equal(0, fleet.TestTokenServer.Ledger.TokenRequests());
        fleet.Time.Advance(LeaseWait.LeaseCheckInterval);
        var status = await call;
        var untouched = await fleet.ReadStateAsync(prefix);

        // Its own token is not shared; once the lease runs out (deleted, as its expiry in Redis's own time would), the next
        // refresh is the fleet's again: under the lease, written for all.
        await fleet.OnRedisAsync(redis => redis.KeyDeleteAsync(FleetFixture.Key(prefix, "lease")));
        fleet.Time.Advance(fleet.AccessTokenLifetime);
        var after = await survivor.PingAsync();
        var shared = await fleet.ReadStateAsync(prefix);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(dead.Version, untouched?.Version);
        Assert.Equal(HttpStatusCode.OK, after);
        Assert.Equal(dead.Version + 1, shared?.Version);
        Assert.Equal(2, fleet.TestTokenServer.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Contains(survivor.Logs.GetSnapshot(), record => record.Id.Id == 10);
    }

    [Fact]
    public async Task A_replica_adopts_what_a_live_holder_shares_within_one_look_and_requests_nothing_itself()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        await StageDeadHolderAsync(prefix, TimeSpan.FromMinutes(1));
        var time = new WatchedTime(fleet.Time);
        await using var waiting = new Replica(fleet, prefix, time: time);
        var call = waiting.PingAsync();
        Assert.True(await time.TimerStartedAsync(LeaseWait.LeaseCheckInterval, call));

        // The holder was only slow: its lease goes to another replica, which refreshes and shares before the look ends.
        await fleet.OnRedisAsync(redis => redis.KeyDeleteAsync(FleetFixture.Key(prefix, "lease")));
        await using var holder = new Replica(fleet, prefix);
        Assert.Equal(HttpStatusCode.OK, await holder.PingAsync());
        var status = await call;

        Assert.Equal(HttpStatusCode.OK, status);
        AssertAdoptedTheHoldersToken(waiting);
    }

    [Theory]
    [InlineData(30, 10)] // The default TokenRequestTimeout: a holder's patience is TokenRequestAttemptTimeout (10 s).
    [InlineData(10, 5)] // Half a shorter TokenRequestTimeout, so that a request of its own would still fit in it.
    public async Task A_public_replica_without_a_token_waits_for_a_silent_holder_a_holders_patience_then_fails_naming_the_fleet_even_on_a_store_that_ignores_cancellation(
        int tokenRequestTimeoutSeconds, int patienceSeconds)
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var offlineToken = await fleet.TestTokenServer.GetPublicClientOfflineTokenAsync();
        fleet.TestTokenServer.Ledger.Reset();
        await StageDeadHolderAsync(prefix, TimeSpan.FromMinutes(5), offlineToken);
        var time = new WatchedTime(fleet.Time);
        var timeout = TimeSpan.FromSeconds(tokenRequestTimeoutSeconds);
        await using var replica = new Replica(fleet, prefix, Replica.PublicClient(offlineToken) + (o => o.TokenRequestTimeout = timeout), time: time, more: services => services.AddSingleton<ISharedTokenStore>(_ =>
            new IgnoresCancellation(new RedisSharedTokenStore(
                new RedisTokenStoreOptions { KeyPrefix = prefix },
                async () => await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fleet.Redis.Configuration),
                ownsConnection: true,
                time,
                OfflineBearer.Redis.Internal.TokenProtection.None))));
        var call = replica.PingAsync();

        var looks = 0;
        while (looks < 2 * timeout / LeaseWait.LeaseCheckInterval && await time.TimerStartedAsync(LeaseWait.LeaseCheckInterval, call))
        {
            fleet.Time.Advance(LeaseWait.LeaseCheckInterval);
            looks++;
        }

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => call);
        Assert.Contains(
            $"has no valid token, and the replica of its fleet that holds the refresh lease has shared no new token for {patienceSeconds} s",
            error.Message,
            StringComparison.Ordinal);
        Assert.Contains(
            "A public client has no grant but the refresh token that replica is redeeming, so it waits: it takes the lease over when the lease runs out.",
            error.Message,
            StringComparison.Ordinal);
        Assert.Contains("obtain a new offline token, or give the client a secret", error.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(patienceSeconds), looks * LeaseWait.LeaseCheckInterval);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.TokenRequests());
    }

    [Fact]
    public async Task A_public_replica_whose_token_outlives_a_holders_patience_waits_for_a_silent_holder_until_its_token_has_expired()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var offlineToken = await fleet.TestTokenServer.GetPublicClientOfflineTokenAsync();
        fleet.TestTokenServer.Ledger.Reset();
        var time = new WatchedTime(fleet.Time);
        // A holder's patience (TokenRequestAttemptTimeout, 2 s) shorter than what is left of the token in its refresh window.
        await using var replica = new Replica(fleet, prefix, Replica.PublicClient(offlineToken) + (o => o.TokenRequestAttemptTimeout = TimeSpan.FromSeconds(2)), time: time);
        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
        await TakeLeaseAsSilentHolderAsync(prefix);
        fleet.Time.Advance(fleet.RefreshWindowOpensAfter);
        var validFor = fleet.ScheduledLifetime - fleet.RefreshWindowOpensAfter;
        var call = replica.PingAsync();

        for (var waited = TimeSpan.Zero; waited < validFor; waited += LeaseWait.LeaseCheckInterval)
        {
            Assert.True(await time.TimerStartedAsync(LeaseWait.LeaseCheckInterval, Never), $"it stopped waiting with {validFor - waited} left on its token");
            fleet.Time.Advance(LeaseWait.LeaseCheckInterval);
        }

        var status = await call;
        var error = await Assert.ThrowsAsync<OfflineBearerException>(replica.PingAsync);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("has no valid token, and the replica of its fleet that holds the refresh lease has shared no new token for 5 s", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests());
    }

    [Fact]
    public async Task A_confidential_replica_whose_token_outlives_a_holders_patience_gives_a_silent_holder_more_than_one_look_before_it_gets_its_own()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var time = new WatchedTime(fleet.Time);
        // A holder's patience (TokenRequestAttemptTimeout, 2 s) shorter than what is left of the token in its refresh window.
        await using var replica = new Replica(fleet, prefix, o => o.TokenRequestAttemptTimeout = TimeSpan.FromSeconds(2), time: time);
        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
        await TakeLeaseAsSilentHolderAsync(prefix);
        fleet.Time.Advance(fleet.RefreshWindowOpensAfter);
        var call = replica.PingAsync();

        Assert.True(await time.TimerStartedAsync(LeaseWait.LeaseCheckInterval, call));
        fleet.Time.Advance(LeaseWait.LeaseCheckInterval);
        var lookedAgain = await time.TimerStartedAsync(LeaseWait.LeaseCheckInterval, call);
        var requestsAfterOneLook = fleet.TestTokenServer.Ledger.TokenRequests();
        fleet.Time.Advance(LeaseWait.LeaseCheckInterval);
        var status = await call;
        // The next call waits for that refresh, which got a token of its own and shared nothing.
        var next = await replica.PingAsync();
        var shared = await fleet.ReadStateAsync(prefix);

        Assert.True(lookedAgain, "it got a token of its own after one look, with more than a holder's patience left on its token");
        Assert.Equal(1, requestsAfterOneLook);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.OK, next);
        Assert.Equal(2, fleet.TestTokenServer.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Equal(1, shared?.Version);
        Assert.Contains(replica.Logs.GetSnapshot(), record => record.Id.Id == 10);
    }

    [Fact]
    public async Task A_replica_that_finds_the_lease_given_back_when_it_looks_at_it_adopts_what_the_holder_shared_instead_of_getting_its_own()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var spy = new TokenEndpointSpy();
        await using var holder = new Replica(fleet, prefix, more: Replica.AtTokenEndpoint(spy));
        var holderCall = await RefreshAnsweredButHeldBackAsync(holder, spy);
        // The holder shares its token and gives the lease back between the replica's attempt at the lease and its look.
        await using var store = new LeaseLookStore(fleet.Store(prefix))
        {
            AtLook = async (_, look) =>
            {
                spy.Release();
                Assert.Equal(HttpStatusCode.OK, await holderCall);
                return await look();
            },
        };
        await using var replica = new Replica(fleet, prefix, more: services => services.AddSingleton<ISharedTokenStore>(store));

        var status = await replica.PingAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        AssertAdoptedTheHoldersToken(replica);
    }

    [Fact]
    public async Task A_replica_without_a_token_gets_its_own_once_a_silent_holders_lease_has_no_time_left_instead_of_waiting_another_look_for_it()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var dead = await StageDeadHolderAsync(prefix, TimeSpan.FromMinutes(5));
        var time = new WatchedTime(fleet.Time);
        // At the second look the lease is in its last moment: Redis says no time is left (PTTL 0), and then it is gone.
        await using var store = new LeaseLookStore(fleet.Store(prefix, time: time))
        {
            AtLook = async (number, look) =>
            {
                if (number < 2)
                {
                    return await look();
                }

                await fleet.OnRedisAsync(redis => redis.KeyDeleteAsync(FleetFixture.Key(prefix, "lease")));
                return TimeSpan.Zero;
            },
        };
        await using var replica = new Replica(fleet, prefix, time: time, more: services => services.AddSingleton<ISharedTokenStore>(store));
        var call = replica.PingAsync();
        Assert.True(await time.TimerStartedAsync(LeaseWait.LeaseCheckInterval, call));

        fleet.Time.Advance(LeaseWait.LeaseCheckInterval);
        var lookedAgain = await time.TimerStartedAsync(LeaseWait.LeaseCheckInterval, call);
        var status = await call;
        var shared = await fleet.ReadStateAsync(prefix);

        Assert.False(lookedAgain, "it waited another look for a lease with no time left, without a token");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Equal(dead.Version, shared?.Version);
    }

    /// <summary>
    /// Starts a refresh on <paramref name="replica"/>, which takes the lease, and returns its call once the token server
    /// has answered; the answer reaches the replica at <c>spy.Release()</c>.
    /// </summary>
    private static async Task<Task<HttpStatusCode>> RefreshAnsweredButHeldBackAsync(Replica replica, TokenEndpointSpy spy)
    {
        spy.Hold();
        var call = replica.PingAsync();
        await spy.Answered.WaitAsync(TimeSpan.FromSeconds(30));
        return call;
    }

    /// <summary>The fleet made one token request, the holder's, and <paramref name="waiting"/> adopted the token it shared.</summary>
    private void AssertAdoptedTheHoldersToken(Replica waiting)
    {
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests());
        Assert.Contains(waiting.Logs.GetSnapshot(), record => record.Id.Id == 8);
    }

    /// <summary>A replica takes the lease and stays silent for as long as the test runs.</summary>
    private async Task TakeLeaseAsSilentHolderAsync(string prefix)
    {
        await using var silent = fleet.Store(prefix);
        Assert.NotNull(await silent.TryAcquireLeaseAsync(Replica.ClientName, TimeSpan.FromMinutes(5), default));
    }

    /// <summary>
    /// What a replica that died holding the lease leaves: the state it had shared before (its token long expired), and
    /// its lease, for <paramref name="lease"/> in Redis's own time.
    /// </summary>
    private async Task<SharedTokenState> StageDeadHolderAsync(string prefix, TimeSpan lease, string? refreshToken = null)
    {
        var state = new SharedTokenState(1, refreshToken, "expired-access-token", fleet.ScheduledLifetime, fleet.Time.GetUtcNow() - TimeSpan.FromMinutes(1));
        await using var dead = fleet.Store(prefix);
        var before = await dead.TryAcquireLeaseAsync(Replica.ClientName, lease, default);
        Assert.True(await dead.TryWriteAsync(Replica.ClientName, before!, state, default));
        await dead.ReleaseLeaseAsync(Replica.ClientName, before!, default);
        Assert.NotNull(await dead.TryAcquireLeaseAsync(Replica.ClientName, lease, default));
        return state;
    }

    /// <summary>A shared store written without regard for cancellation: OfflineBearer must not wait on it for ever.</summary>
    private sealed class IgnoresCancellation(RedisSharedTokenStore inner) : ISharedTokenStore, IAsyncDisposable
    {
        public bool AllowLocalRefreshWhenUnavailable => inner.AllowLocalRefreshWhenUnavailable;

        public ValueTask<SharedTokenState?> ReadAsync(string clientName, CancellationToken cancellationToken) =>
            inner.ReadAsync(clientName, CancellationToken.None);

        public ValueTask<string?> TryAcquireLeaseAsync(string clientName, TimeSpan duration, CancellationToken cancellationToken) =>
            inner.TryAcquireLeaseAsync(clientName, duration, CancellationToken.None);

        public ValueTask<TimeSpan?> GetLeaseTimeLeftAsync(string clientName, CancellationToken cancellationToken) =>
            inner.GetLeaseTimeLeftAsync(clientName, CancellationToken.None);

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
