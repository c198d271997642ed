using System.Net;
using OfflineBearer.Fleet;
using OfflineBearer.Redis.Tests.Support;

namespace OfflineBearer.Redis.Tests;

/// <summary>
/// Which refresh token a replica redeems: always the newest the fleet has, from Redis, or from the replica's own memory
/// when Redis lost its data, went back to an older version or cannot be reached; never the configured one once the fleet
/// has shared a state, never one the server refused, never one the fleet's record names as superseded.
/// </summary>
[Collection(SharedFleet.Name)]
public sealed class FleetRefreshTokenTests(FleetFixture fleet)
{
    [Fact]
    public async Task Replicas_that_take_turns_at_refreshing_always_redeem_the_newest_refresh_token()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        await using var a = new Replica(fleet, prefix);
        await using var b = new Replica(fleet, prefix);
        Assert.Equal(HttpStatusCode.OK, await a.PingAsync());

        fleet.Time.Advance(fleet.AccessTokenLifetime);
        Assert.Equal(HttpStatusCode.OK, await b.PingAsync());
        fleet.Time.Advance(fleet.AccessTokenLifetime);
        Assert.Equal(HttpStatusCode.OK, await a.PingAsync());

        Assert.Equal(0, fleet.TestTokenServer.Ledger.ReusedRefreshTokens);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.FailedTokenRequests);
        Assert.Equal(2, fleet.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests(grant: "client_credentials"));
    }

    [Fact]
    public async Task A_replica_that_only_adopted_the_fleets_token_redeems_the_fleets_refresh_token_after_redis_lost_its_data()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        await using var first = new Replica(fleet, prefix);
        await using var adopter = new Replica(fleet, prefix);
        Assert.Equal(HttpStatusCode.OK, await first.PingAsync());
        Assert.Equal(HttpStatusCode.OK, await adopter.PingAsync());
        await LoseRedisDataAsync(prefix);
        fleet.Time.Advance(fleet.AccessTokenLifetime);
        fleet.TestTokenServer.Ledger.Reset();

        var status = await adopter.PingAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(0, fleet.TestTokenServer.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Equal(0, fleet.TestTokenServer.Ledger.ReusedRefreshTokens);
    }

    [Fact]
    public async Task After_redis_lost_its_data_a_public_replica_redeems_the_newest_refresh_token_it_kept_not_the_configured_one()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var offlineToken = await fleet.TestTokenServer.GetPublicClientOfflineTokenAsync();
        fleet.TestTokenServer.Ledger.Reset();
        await using var replica = new Replica(fleet, prefix, Replica.PublicClient(offlineToken));
        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
        await LoseRedisDataAsync(prefix);
        fleet.Time.Advance(fleet.AccessTokenLifetime);

        var status = await replica.PingAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.ReusedRefreshTokens);
        Assert.Equal(2, fleet.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
    }

    [Fact]
    public async Task With_redis_down_a_public_replica_allowed_to_refresh_alone_redeems_the_newest_refresh_token_every_time()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var offlineToken = await fleet.TestTokenServer.GetPublicClientOfflineTokenAsync();
        fleet.TestTokenServer.Ledger.Reset();
        await using var replica = new Replica(fleet, prefix, Replica.PublicClient(offlineToken), redis => redis.AllowLocalRefreshWhenUnavailable = true);
        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());

        var statuses = new List<HttpStatusCode>();
        await fleet.Redis.KillAsync();
        try
        {
            for (var expiry = 0; expiry < 2; expiry++)
            {
                fleet.Time.Advance(fleet.AccessTokenLifetime);
                statuses.Add(await replica.PingAsync());
            }
        }
        finally
        {
            await fleet.Redis.StartAgainAsync();
        }

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(0, fleet.TestTokenServer.Ledger.ReusedRefreshTokens);
        Assert.Equal(3, fleet.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
    }

    [Fact]
    public async Task A_refresh_answered_without_a_new_refresh_token_keeps_the_redeemed_one_for_the_fleet()
    {
        var server = fleet.NonRotatingTokenServer;
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var spy = new TokenEndpointSpy();
        await using var first = new Replica(fleet, prefix, more: Replica.AtTokenEndpoint(spy), server: server);
        Assert.Equal(HttpStatusCode.OK, await first.PingAsync());
        var issued = (await fleet.ReadStateAsync(prefix))?.RefreshToken;
        Assert.NotNull(issued);

        spy.AnswerWithoutRefreshToken = true;
        fleet.Time.Advance(fleet.AccessTokenLifetime);
        Assert.Equal(HttpStatusCode.OK, await first.PingAsync());
        var kept = (await fleet.ReadStateAsync(prefix))?.RefreshToken;
        fleet.Time.Advance(fleet.AccessTokenLifetime);
        await using var second = new Replica(fleet, prefix, server: server);
        var status = await second.PingAsync();

        Assert.Equal(issued, kept);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, server.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(1, server.Ledger.TokenRequests(grant: "client_credentials"));
    }

    [Fact]
    public async Task With_redis_down_a_public_replica_refreshing_alone_keeps_the_redeemed_refresh_token_when_the_answer_has_none()
    {
        var server = fleet.NonRotatingTokenServer;
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var configured = await server.GetPublicClientOfflineTokenAsync();
        var spy = new TokenEndpointSpy();
        await using var replica = new Replica(
            fleet, prefix, Replica.PublicClient(configured), redis => redis.AllowLocalRefreshWhenUnavailable = true, Replica.AtTokenEndpoint(spy), server);
        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
        var newest = (await fleet.ReadStateAsync(prefix))?.RefreshToken;
        Assert.NotNull(newest);

        spy.AnswerWithoutRefreshToken = true;
        var statuses = new List<HttpStatusCode>();
        await fleet.Redis.KillAsync();
        try
        {
            for (var expiry = 0; expiry < 2; expiry++)
            {
                fleet.Time.Advance(fleet.AccessTokenLifetime);
                statuses.Add(await replica.PingAsync());
            }
        }
        finally
        {
            await fleet.Redis.StartAgainAsync();
        }

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal([configured, newest, newest], spy.Redeemed);
    }

    [Fact]
    public async Task After_the_server_refuses_the_shared_refresh_token_the_fleet_drops_it_when_client_credentials_brings_none()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        await StageStateAsync(prefix, refreshToken: "refused-by-the-server");
        var spy = new TokenEndpointSpy();
        await using var replica = new Replica(fleet, prefix, o => o.Scope = TestTokenServer.ApiScope, more: Replica.AtTokenEndpoint(spy));

        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
        var shared = await fleet.ReadStateAsync(prefix);
        fleet.Time.Advance(fleet.AccessTokenLifetime);
        var status = await replica.PingAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotNull(shared);
        Assert.Null(shared.RefreshToken);
        Assert.Equal(["refused-by-the-server"], spy.Redeemed);
        Assert.Equal(2, fleet.TestTokenServer.Ledger.TokenRequests(grant: "client_credentials"));
    }

    [Fact]
    public async Task After_redis_lost_its_data_a_mark_left_by_a_replica_that_died_mid_redeem_still_keeps_the_others_from_redeeming()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        await using var survivor = new Replica(fleet, prefix);
        Assert.Equal(HttpStatusCode.OK, await survivor.PingAsync());
        await LoseRedisDataAsync(prefix);

        // Another replica redeemed the refresh token it kept in memory (the same one) and died before it wrote: the mark alone.
        await StageRedeemingMarkAloneAsync(prefix);

        fleet.Time.Advance(fleet.AccessTokenLifetime);
        var status = await survivor.PingAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(2, fleet.TestTokenServer.Ledger.TokenRequests(grant: "client_credentials"));
    }

    [Fact]
    public async Task A_refresh_the_token_server_never_processed_takes_its_redeeming_mark_away_so_the_fleet_redeems_that_refresh_token_later()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var spy = new TokenEndpointSpy();
        var time = new WatchedTime(fleet.Time);
        await using var first = new Replica(fleet, prefix, more: Replica.AtTokenEndpoint(spy), time: time);
        Assert.Equal(HttpStatusCode.OK, await first.PingAsync());
        fleet.Time.Advance(fleet.AccessTokenLifetime);

        // Every try is answered 503: the replica retries after each Retry-After, as often as the default options say.
        spy.Unavailable = true;
        var call = first.PingAsync();
        for (var retry = 0; retry < new OfflineBearerOptions().TokenRequestRetries && await time.TimerStartedAsync(TokenEndpointSpy.RetryAfter, call); retry++)
        {
            fleet.Time.Advance(TokenEndpointSpy.RetryAfter);
        }

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => call);
        var left = await fleet.ReadStateAsync(prefix);
        await using var second = new Replica(fleet, prefix);
        var status = await second.PingAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.False(left?.RefreshTokenMayBeSpent);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Equal(0, fleet.TestTokenServer.Ledger.ReusedRefreshTokens);
    }

    [Fact]
    public async Task A_replica_never_redeems_its_configured_refresh_token_once_the_fleet_has_shared_a_state_even_one_without_a_refresh_token()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var configured = await OfflineTokens.OfConfidentialClientAsync(fleet.TestTokenServer);
        await StageStateAsync(prefix, refreshToken: null);
        var spy = new TokenEndpointSpy();
        await using var replica = new Replica(fleet, prefix, o =>
        {
            o.RefreshToken = configured;
            o.Scope = TestTokenServer.ApiScope;
        }, more: Replica.AtTokenEndpoint(spy));

        var status = await replica.PingAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Empty(spy.Redeemed);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(2, fleet.TestTokenServer.Ledger.TokenRequests(grant: "client_credentials"));
    }

    [Fact]
    public async Task Each_rotation_puts_the_replaced_refresh_token_on_the_fleets_record_as_a_hash_never_as_the_token()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var configured = await OfflineTokens.OfConfidentialClientAsync(fleet.TestTokenServer);
        await using var replica = new Replica(fleet, prefix, o => o.RefreshToken = configured);
        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
        var first = await fleet.ReadStateAsync(prefix);
        fleet.Time.Advance(fleet.AccessTokenLifetime);
        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
        var second = await fleet.ReadStateAsync(prefix);
        var stored = await fleet.OnRedisAsync(redis => redis.HashGetAsync(FleetFixture.Key(prefix, "state"), "sup"));

        Assert.Equal([SupersededRefreshTokens.HashOf(configured)], first!.SupersededRefreshTokenHashes);
        Assert.Equal([SupersededRefreshTokens.HashOf(first.RefreshToken!), SupersededRefreshTokens.HashOf(configured)], second!.SupersededRefreshTokenHashes);
        Assert.DoesNotContain(configured, stored.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(first.RefreshToken!, stored.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_fleets_record_of_superseded_refresh_tokens_keeps_the_newest_sixteen()
    {
        var hashes = Enumerable.Range(0, SupersededRefreshTokens.Kept).Select(i => SupersededRefreshTokens.HashOf($"older-{i}")).ToList();

        var kept = SupersededRefreshTokens.With(hashes, "newest");

        Assert.Equal(SupersededRefreshTokens.Kept, kept.Count);
        Assert.Equal(SupersededRefreshTokens.HashOf("newest"), kept[0]);
        Assert.Equal(hashes[..^1], kept.Skip(1));
        Assert.Equal(kept, SupersededRefreshTokens.With(kept, "newest"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_fleet_never_presents_a_refresh_token_its_record_names_as_superseded(bool publicClient)
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var offlineToken = publicClient ? await fleet.TestTokenServer.GetPublicClientOfflineTokenAsync() : await OfflineTokens.OfConfidentialClientAsync(fleet.TestTokenServer);
        fleet.TestTokenServer.Ledger.Reset();

        // A store that lost its newest write but kept the record (a failover): the state's token is one it names as spent.
        await StageStateAsync(prefix, offlineToken, superseded: [SupersededRefreshTokens.HashOf(offlineToken)]);
        var spy = new TokenEndpointSpy();
        await using var replica = new Replica(fleet, prefix, publicClient ? Replica.PublicClient(offlineToken) : o => o.Scope = TestTokenServer.ApiScope, more: Replica.AtTokenEndpoint(spy));

        if (publicClient)
        {
            var error = await Assert.ThrowsAsync<OfflineBearerException>(replica.PingAsync);
            Assert.Contains("does not redeem the fleet's refresh token: the fleet's record names it as superseded by a newer one", error.Message, StringComparison.Ordinal);
            Assert.Equal(0, fleet.TestTokenServer.Ledger.TokenRequests());
        }
        else
        {
            Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
            Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests(grant: "client_credentials"));
            Assert.Contains(replica.Logs.GetSnapshot(), record => record.Id.Id == 11);
        }

        Assert.Empty(spy.Redeemed);
    }

    [Fact]
    public async Task After_the_store_went_back_to_an_older_version_a_replica_redeems_the_newest_refresh_token_it_knows_not_the_stale_one()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var spy = new TokenEndpointSpy();
        await using var replica = new Replica(fleet, prefix, more: Replica.AtTokenEndpoint(spy));
        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
        var older = await fleet.ReadStateAsync(prefix);
        fleet.Time.Advance(fleet.AccessTokenLifetime);
        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
        var newest = (await fleet.ReadStateAsync(prefix))!.RefreshToken;

        // A failover to a Redis replica that missed the last write: the older state, whose refresh token is spent, is back.
        await LoseRedisDataAsync(prefix);
        await StageStateAsync(prefix, older!.RefreshToken, version: older.Version);
        fleet.Time.Advance(fleet.AccessTokenLifetime);
        var status = await replica.PingAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([older.RefreshToken!, newest!], spy.Redeemed);
        AssertNoRefreshTokenPresentedTwice();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task On_a_fleet_that_never_shared_a_state_a_replica_does_not_redeem_its_configured_refresh_token_once_another_replica_marked_it_as_being_redeemed(bool publicClient)
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var offlineToken = publicClient ? await fleet.TestTokenServer.GetPublicClientOfflineTokenAsync() : await OfflineTokens.OfConfidentialClientAsync(fleet.TestTokenServer);
        fleet.TestTokenServer.Ledger.Reset();
        // The first replica marked the configured token as being redeemed and died before it shared anything.
        await StageRedeemingMarkAloneAsync(prefix);
        var spy = new TokenEndpointSpy();
        await using var replica = new Replica(
            fleet,
            prefix,
            publicClient
                ? Replica.PublicClient(offlineToken)
                : o =>
                {
                    o.RefreshToken = offlineToken;
                    o.Scope = TestTokenServer.ApiScope;
                },
            more: Replica.AtTokenEndpoint(spy));

        if (publicClient)
        {
            var error = await Assert.ThrowsAsync<OfflineBearerException>(replica.PingAsync);
            Assert.Contains("does not redeem the fleet's refresh token: a replica started to redeem it and never shared what it got", error.Message, StringComparison.Ordinal);
        }
        else
        {
            // A new session by client_credentials, whose state puts the configured token on the fleet's record.
            Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
            Assert.Equal([SupersededRefreshTokens.HashOf(offlineToken)], (await fleet.ReadStateAsync(prefix))?.SupersededRefreshTokenHashes);
        }

        Assert.Empty(spy.Redeemed);
    }

    /// <summary>How a replica came to know a refresh token as replaced, in its own memory.</summary>
    public enum Replaced
    {
        /// <summary>The configured token, which it redeemed to seed the fleet.</summary>
        BySeedingTheFleet,

        /// <summary>The token of a state it adopted, which a newer shared state replaced.</summary>
        ByANewerSharedState,

        /// <summary>The configured token, which it redeemed on its own while Redis was down.</summary>
        ByRedeemingItAloneWhileRedisWasDown,
    }

    [Theory]
    [InlineData(Replaced.BySeedingTheFleet)]
    [InlineData(Replaced.ByANewerSharedState)]
    [InlineData(Replaced.ByRedeemingItAloneWhileRedisWasDown)]
    public async Task A_replica_never_redeems_a_refresh_token_it_knows_as_replaced_even_when_a_newer_state_without_the_fleets_record_names_it(Replaced how)
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var offlineToken = await fleet.TestTokenServer.GetPublicClientOfflineTokenAsync();
        await using var replica = new Replica(
            fleet, prefix, Replica.PublicClient(offlineToken), redis => redis.AllowLocalRefreshWhenUnavailable = how == Replaced.ByRedeemingItAloneWhileRedisWasDown);
        var replaced = await LearnReplacedAsync(how, prefix, replica, offlineToken);

        // Its own record is the last guard: here the state was written without the fleet's (by hand, or by a tool that keeps none).
        await StageStateAsync(prefix, replaced, version: 3);
        fleet.Time.Advance(fleet.AccessTokenLifetime);
        var error = await Assert.ThrowsAsync<OfflineBearerException>(replica.PingAsync);

        Assert.Contains("does not redeem the fleet's refresh token: the fleet's record names it as superseded by a newer one", error.Message, StringComparison.Ordinal);
        AssertNoRefreshTokenPresentedTwice();
    }

    [Fact]
    public async Task With_redis_down_a_public_replica_allowed_to_refresh_alone_never_redeems_a_refresh_token_it_knows_as_superseded()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var offlineToken = await fleet.TestTokenServer.GetPublicClientOfflineTokenAsync();
        await using var replica = new Replica(fleet, prefix, Replica.PublicClient(offlineToken), redis => redis.AllowLocalRefreshWhenUnavailable = true);
        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
        var seeded = await fleet.ReadStateAsync(prefix);
        // A newer state without the fleet's record names the configured token again, with an access token it adopts.
        fleet.Time.Advance(fleet.RefreshWindowOpensAfter);
        await StageStateAsync(prefix, offlineToken, version: 2, validAccessToken: seeded?.AccessToken);
        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());

        await fleet.Redis.KillAsync();
        Exception? error;
        try
        {
            fleet.Time.Advance(fleet.AccessTokenLifetime);
            error = await Record.ExceptionAsync(replica.PingAsync);
        }
        finally
        {
            await fleet.Redis.StartAgainAsync();
        }

        Assert.Contains(
            "does not redeem its refresh token on its own: it knows it as superseded by a newer one, so presenting it could end the session. It tries again when the shared token store is back.",
            error?.Message,
            StringComparison.Ordinal);
        AssertNoRefreshTokenPresentedTwice();
    }

    /// <summary>The token server's own record: it was never sent a refresh token it had already seen.</summary>
    private void AssertNoRefreshTokenPresentedTwice()
    {
        Assert.Equal(0, fleet.TestTokenServer.Ledger.RefreshTokensPresentedAgain);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.ReusedRefreshTokens);
    }

    /// <summary>Brings <paramref name="replica"/> to know a refresh token as replaced the way <paramref name="how"/> says; that token.</summary>
    private async Task<string> LearnReplacedAsync(Replaced how, string prefix, Replica replica, string offlineToken)
    {
        if (how == Replaced.ByRedeemingItAloneWhileRedisWasDown)
        {
            await fleet.Redis.KillAsync();
            try
            {
                Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
            }
            finally
            {
                await fleet.Redis.StartAgainAsync();
            }

            return offlineToken;
        }

        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
        if (how == Replaced.BySeedingTheFleet)
        {
            return offlineToken;
        }

        // Another replica refreshes; this one adopts what it shared.
        var adopted = (await fleet.ReadStateAsync(prefix))!.RefreshToken!;
        await using var other = new Replica(fleet, prefix, Replica.PublicClient(offlineToken));
        fleet.Time.Advance(fleet.AccessTokenLifetime);
        Assert.Equal(HttpStatusCode.OK, await other.PingAsync());
        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
        Assert.Contains(replica.Logs.GetSnapshot(), record => record.Id.Id == 8);
        return adopted;
    }

    /// <summary>What a replica that marked the refresh token it redeems and died before it wrote leaves, when Redis held no state: the mark alone.</summary>
    private async Task StageRedeemingMarkAloneAsync(string prefix)
    {
        await using var dead = fleet.Store(prefix);
        var lease = await dead.TryAcquireLeaseAsync(Replica.ClientName, TimeSpan.FromMinutes(1), default);
        Assert.True(await dead.TryMarkRedeemingAsync(Replica.ClientName, lease!, redeeming: true, default));
        await dead.ReleaseLeaseAsync(Replica.ClientName, lease!, default);
    }

    /// <summary>What a Redis restart without persistence leaves of this client: nothing.</summary>
    private Task<long> LoseRedisDataAsync(string prefix) => fleet.OnRedisAsync(redis => redis.KeyDeleteAsync(
        [FleetFixture.Key(prefix, "state"), FleetFixture.Key(prefix, "lease"), FleetFixture.Key(prefix, "spending")]));

    /// <summary>
    /// A state another replica wrote, whose access token has expired; or, given <paramref name="validAccessToken"/>, one
    /// got just now that a replica adopts.
    /// </summary>
    private async Task StageStateAsync(string prefix, string? refreshToken, long version = 1, IReadOnlyList<string>? superseded = null, string? validAccessToken = null)
    {
        await using var other = fleet.Store(prefix);
        var lease = await other.TryAcquireLeaseAsync(Replica.ClientName, TimeSpan.FromMinutes(1), default);
        var (accessToken, lifetime, expiresAt) = validAccessToken is null
            ? ("expired-access-token", TimeSpan.FromSeconds(10), fleet.Time.GetUtcNow() - TimeSpan.FromMinutes(1))
            : (validAccessToken, fleet.ScheduledLifetime, fleet.Time.GetUtcNow() + fleet.ScheduledLifetime);
        var state = new SharedTokenState(version, refreshToken, accessToken, lifetime, expiresAt)
        {
            SupersededRefreshTokenHashes = superseded ?? [],
        };
        Assert.True(await other.TryWriteAsync(Replica.ClientName, lease!, state, default));
        await other.ReleaseLeaseAsync(Replica.ClientName, lease!, default);
    }
}
