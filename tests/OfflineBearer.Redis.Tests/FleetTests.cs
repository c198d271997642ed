using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Redis.Tests.Support;
using OfflineBearer.Stores;

namespace OfflineBearer.Redis.Tests;

/// <summary>
/// Issue #8 against a real Redis server (<c>redis-server</c>, or the embedded Garnet where it is not installed) and the real
/// development token server, whose refresh tokens rotate with strict reuse detection: a refresh token redeemed twice ends
/// the session and shows in <c>ReusedRefreshTokens</c>.
/// </summary>
[Collection(SharedFleet.Name)]
public sealed class FleetTests(FleetFixture fleet)
{
    [Fact]
    public async Task Four_replicas_under_load_cost_one_token_request_per_expiry_and_never_redeem_a_refresh_token_twice()
    {
        const int Replicas = 4;
        const int Concurrent = 200;
        const int Lifetimes = 10;
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var replicas = Enumerable.Range(0, Replicas).Select(_ => new Replica(fleet, prefix)).ToList();
        var statuses = new List<HttpStatusCode>();

        for (var lifetime = 0; lifetime < Lifetimes; lifetime++)
        {
            if (lifetime > 0)
            {
                fleet.Time.Advance(fleet.AccessTokenLifetime + TimeSpan.FromSeconds(1));
            }

            statuses.AddRange(await FireAtOnceAsync(replicas.SelectMany(replica => Enumerable.Repeat(replica, Concurrent)).ToList()));
        }

        foreach (var replica in replicas)
        {
            await replica.DisposeAsync();
        }

        var stats = fleet.TestTokenServer.Ledger;
        Assert.Equal(Replicas * Concurrent * Lifetimes, statuses.Count(status => status == HttpStatusCode.OK));
        Assert.Equal(0, stats.ReusedRefreshTokens);
        Assert.Equal(0, stats.FailedTokenRequests);
        Assert.Equal(0, stats.ApiRequests(rejected: true));
        Assert.Equal(Lifetimes, stats.TokenRequests());
        Assert.Equal(1, stats.TokenRequests(grant: "client_credentials"));
    }

    [Fact]
    public async Task A_replica_that_starts_later_adopts_the_fleets_token_without_a_token_request()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        await using var first = new Replica(fleet, prefix);
        Assert.Equal(HttpStatusCode.OK, await first.PingAsync());
        var requests = fleet.TestTokenServer.Ledger.TokenRequests();

        await using var second = new Replica(fleet, prefix);
        Assert.Equal(HttpStatusCode.OK, await second.PingAsync());

        Assert.Equal(requests, fleet.TestTokenServer.Ledger.TokenRequests());
        Assert.Contains(second.Logs.GetSnapshot(), record => record.Id.Id == 8);
    }

    [Fact]
    public async Task A_write_from_a_replica_whose_lease_ran_out_is_refused()
    {
        var prefix = FleetFixture.NewPrefix();
        await using var slow = fleet.Store(prefix);
        await using var other = fleet.Store(prefix);
        var slowLease = await slow.TryAcquireLeaseAsync("api", TimeSpan.FromMinutes(1), default);
        Assert.NotNull(slowLease);
        Assert.Null(await other.TryAcquireLeaseAsync("api", TimeSpan.FromMinutes(1), default));

        // The lease runs out (deleted, as its expiry would), another replica takes it and writes version 1.
        await using (var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fleet.Redis.Configuration))
        {
            Assert.True(await redis.GetDatabase().KeyDeleteAsync($"{prefix}{{api}}:lease"));
        }

        var otherLease = await other.TryAcquireLeaseAsync("api", TimeSpan.FromMinutes(1), default);
        Assert.NotNull(otherLease);
        Assert.True(await other.TryWriteAsync("api", otherLease, new SharedTokenState(1, "rt-1", "at-1", null, null), default));

        var late = await slow.TryWriteAsync("api", slowLease, new SharedTokenState(2, "rt-late", "at-late", null, null), default);

        Assert.False(late);
        Assert.Equal("rt-1", (await other.ReadAsync("api", default))?.RefreshToken);
    }

    [Fact]
    public async Task A_write_of_an_older_or_equal_version_is_refused_even_with_the_lease()
    {
        var prefix = FleetFixture.NewPrefix();
        await using var store = fleet.Store(prefix);
        var lease = await store.TryAcquireLeaseAsync("api", TimeSpan.FromMinutes(1), default);
        Assert.NotNull(lease);
        Assert.True(await store.TryWriteAsync("api", lease, new SharedTokenState(5, "rt-5", "at-5", TimeSpan.FromMinutes(5), fleet.Time.GetUtcNow()), default));

        Assert.False(await store.TryWriteAsync("api", lease, new SharedTokenState(5, "rt-x", "at-x", null, null), default));
        Assert.False(await store.TryWriteAsync("api", lease, new SharedTokenState(4, "rt-x", "at-x", null, null), default));

        var state = await store.ReadAsync("api", default);
        Assert.Equal(5, state?.Version);
        Assert.Equal("rt-5", state?.RefreshToken);
        Assert.Equal(TimeSpan.FromMinutes(5), state?.AccessTokenLifetime);
    }

    [Fact]
    public async Task A_waiting_replica_wakes_on_the_write_without_the_clock_moving()
    {
        var prefix = FleetFixture.NewPrefix();
        await using var writer = fleet.Store(prefix);
        await using var waiter = fleet.Store(prefix);
        var lease = await writer.TryAcquireLeaseAsync("api", TimeSpan.FromMinutes(1), default);

        var waiting = waiter.WaitForNewerAsync("api", 0, TimeSpan.FromMinutes(1), default).AsTask();
        await writer.TryWriteAsync("api", lease!, new SharedTokenState(1, "rt-1", "at-1", null, null), default);
        var seen = await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, seen?.Version);
    }

    [Fact]
    public async Task With_redis_down_a_confidential_replica_gets_a_token_with_client_credentials_and_no_call_fails()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        await using var replica = new Replica(fleet, prefix);
        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());

        await fleet.Redis.KillAsync();
        try
        {
            fleet.Time.Advance(fleet.AccessTokenLifetime + TimeSpan.FromSeconds(1));
            Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
        }
        finally
        {
            await fleet.Redis.StartAgainAsync();
        }

        Assert.Equal(0, fleet.TestTokenServer.Ledger.ReusedRefreshTokens);
        Assert.Equal(2, fleet.TestTokenServer.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Contains(replica.Logs.GetSnapshot(), record => record.Id.Id == 9);
    }

    [Fact]
    public async Task With_redis_down_a_public_replica_that_needs_a_token_fails_naming_the_store()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var offlineToken = await fleet.TestTokenServer.GetPublicClientOfflineTokenAsync();
        await using var replica = new Replica(fleet, prefix, o =>
        {
            o.ClientId = TestTokenServer.PublicClientId;
            o.ClientSecret = null;
            o.Scope = null;
            o.RefreshToken = offlineToken;
        });

        await fleet.Redis.KillAsync();
        OfflineBearerException error;
        try
        {
            error = await Assert.ThrowsAsync<OfflineBearerException>(replica.PingAsync);
        }
        finally
        {
            await fleet.Redis.StartAgainAsync();
        }

        Assert.Contains("needs a new token, but the shared token store cannot be reached", error.Message, StringComparison.Ordinal);
        Assert.Contains(
            "A public client does not redeem its refresh token alone, because another replica may redeem the same one; it tries again when the store is back.",
            error.Message,
            StringComparison.Ordinal);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
    }

    [Fact]
    public async Task Redis_killed_mid_run_fails_no_call_and_after_its_restart_without_data_the_fleet_converges_again()
    {
        const int Concurrent = 50;
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        await using var a = new Replica(fleet, prefix);
        await using var b = new Replica(fleet, prefix);
        List<Replica> both = [.. Enumerable.Repeat(a, Concurrent), .. Enumerable.Repeat(b, Concurrent)];
        var statuses = new List<HttpStatusCode>();
        statuses.AddRange(await FireAtOnceAsync(both));
        fleet.Time.Advance(fleet.AccessTokenLifetime + TimeSpan.FromSeconds(1));
        statuses.AddRange(await FireAtOnceAsync(both));

        await fleet.Redis.KillAsync();
        try
        {
            // The tokens are still valid; then they expire and each replica gets one with client_credentials alone.
            statuses.AddRange(await FireAtOnceAsync(both));
            fleet.Time.Advance(fleet.AccessTokenLifetime + TimeSpan.FromSeconds(1));
            statuses.AddRange(await FireAtOnceAsync(both));
        }
        finally
        {
            await fleet.Redis.StartAgainAsync();
        }

        // Redis is back, empty: the next refresh redeems the newest refresh token a replica kept in memory.
        fleet.TestTokenServer.Ledger.Reset();
        for (var expiry = 0; expiry < 3; expiry++)
        {
            fleet.Time.Advance(fleet.AccessTokenLifetime + TimeSpan.FromSeconds(1));
            statuses.AddRange(await FireAtOnceAsync(both));
        }

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(0, fleet.TestTokenServer.Ledger.ReusedRefreshTokens);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.FailedTokenRequests);
        Assert.Equal(3, fleet.TestTokenServer.Ledger.TokenRequests());
        Assert.Equal(3, fleet.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
    }

    [Fact]
    public async Task A_replica_that_dies_after_the_server_rotated_its_refresh_token_leaves_no_replica_to_redeem_the_spent_one()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var dieAfterSending = new DieAfterSending();
        var dying = new Replica(fleet, prefix, more: Replica.AtTokenEndpoint(dieAfterSending));
        await using var survivor = new Replica(fleet, prefix);
        Assert.Equal(HttpStatusCode.OK, await dying.PingAsync());
        fleet.Time.Advance(fleet.AccessTokenLifetime + TimeSpan.FromSeconds(1));
        fleet.TestTokenServer.Ledger.Reset();

        // The dying replica redeems the shared refresh token; the server rotates it; the replica never answers again.
        dieAfterSending.Armed = true;
        var lost = dying.PingAsync();
        await dieAfterSending.Sent.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await dying.DisposeAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => lost);

        // Its lease runs out (deleted, as its expiry in Redis's own time would), unless the dying replica still gave it back.
        await fleet.OnRedisAsync(redis => redis.KeyDeleteAsync(FleetFixture.Key(prefix, "lease")));
        var status = await survivor.PingAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.ReusedRefreshTokens);
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests(grant: "client_credentials"));
    }

    [Fact]
    public async Task With_redis_down_a_public_replica_refreshes_alone_only_when_the_store_allows_it()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var offlineToken = await fleet.TestTokenServer.GetPublicClientOfflineTokenAsync();
        await using var replica = new Replica(
            fleet,
            prefix,
            o =>
            {
                o.ClientId = TestTokenServer.PublicClientId;
                o.ClientSecret = null;
                o.Scope = null;
                o.RefreshToken = offlineToken;
            },
            redis => redis.AllowLocalRefreshWhenUnavailable = true);

        await fleet.Redis.KillAsync();
        HttpStatusCode status;
        try
        {
            status = await replica.PingAsync();
        }
        finally
        {
            await fleet.Redis.StartAgainAsync();
        }

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Contains(replica.Logs.GetSnapshot(), record => record.Id.Id == 9);
    }

    [Fact]
    public async Task Replicas_can_share_the_applications_own_redis_connection()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fleet.Redis.Configuration);
        var first = new Replica(fleet, prefix, more: services => services.AddOfflineBearerRedis(_ => connection, o => o.KeyPrefix = prefix));
        var second = new Replica(fleet, prefix, more: services => services.AddOfflineBearerRedis(_ => connection, o => o.KeyPrefix = prefix));

        Assert.Equal(HttpStatusCode.OK, await first.PingAsync());
        Assert.Equal(HttpStatusCode.OK, await second.PingAsync());
        await first.DisposeAsync();
        await second.DisposeAsync();

        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests());
        Assert.True(connection.IsConnected, "a replica closed the application's own connection");
    }

    [Fact]
    public async Task A_public_replica_never_redeems_a_refresh_token_marked_as_being_redeemed_and_says_a_new_one_is_needed()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var offlineToken = await fleet.TestTokenServer.GetPublicClientOfflineTokenAsync();
        fleet.TestTokenServer.Ledger.Reset();

        // What a replica that died mid-redeem leaves: the state with its refresh token, and the mark.
        await using (var dead = fleet.Store(prefix))
        {
            var lease = await dead.TryAcquireLeaseAsync(Replica.ClientName, TimeSpan.FromMinutes(1), default);
            Assert.True(await dead.TryWriteAsync(Replica.ClientName, lease!, new SharedTokenState(1, offlineToken, "expired-access-token", TimeSpan.FromSeconds(10), fleet.Time.GetUtcNow() - TimeSpan.FromMinutes(1)), default));
            Assert.True(await dead.TryMarkRedeemingAsync(Replica.ClientName, lease!, redeeming: true, default));
            await dead.ReleaseLeaseAsync(Replica.ClientName, lease!, default);
        }

        await using var replica = new Replica(fleet, prefix, o =>
        {
            o.ClientId = TestTokenServer.PublicClientId;
            o.ClientSecret = null;
            o.Scope = null;
            o.RefreshToken = offlineToken;
        });

        var error = await Assert.ThrowsAsync<OfflineBearerException>(replica.PingAsync);

        Assert.Contains(
            "does not redeem the fleet's refresh token: a replica started to redeem it and never shared what it got, so the server may have spent it, and presenting it again could end the session. Obtain a new offline token.",
            error.Message,
            StringComparison.Ordinal);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.TokenRequests());
    }

    [Fact]
    public async Task With_data_protection_redis_holds_no_token_and_replicas_sharing_the_keys_read_it()
    {
        var prefix = FleetFixture.NewPrefix();
        var keys = new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider();
        await using var writer = fleet.Store(prefix, new OfflineBearer.Redis.Internal.TokenProtection(keys));
        await using var reader = fleet.Store(prefix, new OfflineBearer.Redis.Internal.TokenProtection(keys));
        var lease = await writer.TryAcquireLeaseAsync("api", TimeSpan.FromMinutes(1), default);
        await writer.TryWriteAsync("api", lease!, new SharedTokenState(1, "refresh-at-rest", "access-at-rest", null, null), default);

        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fleet.Redis.Configuration);
        var raw = string.Join(" ", (await redis.GetDatabase().HashGetAllAsync($"{prefix}{{api}}:state")).Select(field => field.Value.ToString()));
        var state = await reader.ReadAsync("api", default);

        Assert.DoesNotContain("refresh-at-rest", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("access-at-rest", raw, StringComparison.Ordinal);
        Assert.Equal("refresh-at-rest", state?.RefreshToken);
        Assert.Equal("access-at-rest", state?.AccessToken);
        await Assert.ThrowsAsync<OfflineBearerException>(async () => await fleet.Store(prefix).ReadAsync("api", default));
    }

    [Fact]
    public async Task A_replica_without_the_keys_that_protect_the_shared_tokens_fails_with_that_error_instead_of_going_on_alone()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var keys = new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider();
        await using var protecting = new Replica(fleet, prefix, more: services => services.AddSingleton<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>(keys));
        Assert.Equal(HttpStatusCode.OK, await protecting.PingAsync());
        await using var withoutKeys = new Replica(fleet, prefix);

        var error = await Assert.ThrowsAsync<OfflineBearerException>(withoutKeys.PingAsync);

        Assert.Contains($"The token stored in Redis for OfflineBearer client '{Replica.ClientName}' is protected", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests());
    }

    [Fact]
    public async Task A_shared_store_that_times_out_on_its_own_counts_as_unreachable_not_as_the_callers_cancellation()
    {
        fleet.StartClean();
        await using var replica = new Replica(fleet, FleetFixture.NewPrefix(), more: services => services.AddSingleton<ISharedTokenStore>(new TimesOutOnItsOwn()));

        var status = await replica.PingAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Contains(replica.Logs.GetSnapshot(), record => record.Id.Id == 9);
    }

    /// <summary>Starts every request on the thread pool behind one gate, so they reach the handlers together.</summary>
    private static async Task<HttpStatusCode[]> FireAtOnceAsync(IReadOnlyList<Replica> senders)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = senders.Select(replica => Task.Run(async () =>
        {
            await gate.Task;
            return await replica.PingAsync();
        })).ToList();

        gate.SetResult();
        return await Task.WhenAll(requests);
    }

    /// <summary>A custom shared store whose every call ends in its own timeout, as an HTTP-based store's would.</summary>
    private sealed class TimesOutOnItsOwn : ISharedTokenStore
    {
        public bool AllowLocalRefreshWhenUnavailable => false;

        public ValueTask<SharedTokenState?> ReadAsync(string clientName, CancellationToken cancellationToken) =>
            throw new TaskCanceledException("The store's own request timed out.");

        public ValueTask<string?> TryAcquireLeaseAsync(string clientName, TimeSpan duration, CancellationToken cancellationToken) =>
            throw new TaskCanceledException("The store's own request timed out.");

        public ValueTask<TimeSpan?> GetLeaseTimeLeftAsync(string clientName, CancellationToken cancellationToken) =>
            throw new TaskCanceledException("The store's own request timed out.");

        public ValueTask<bool> TryWriteAsync(string clientName, string lease, SharedTokenState state, CancellationToken cancellationToken) =>
            throw new TaskCanceledException("The store's own request timed out.");

        public ValueTask<bool> TryMarkRedeemingAsync(string clientName, string lease, bool redeeming, CancellationToken cancellationToken) =>
            throw new TaskCanceledException("The store's own request timed out.");

        public ValueTask ReleaseLeaseAsync(string clientName, string lease, CancellationToken cancellationToken) =>
            throw new TaskCanceledException("The store's own request timed out.");

        public ValueTask<SharedTokenState?> WaitForNewerAsync(string clientName, long version, TimeSpan timeout, CancellationToken cancellationToken) =>
            throw new TaskCanceledException("The store's own request timed out.");
    }

    /// <summary>Lets a token request reach the server, then never returns its answer: a replica that dies mid-refresh.</summary>
    private sealed class DieAfterSending : DelegatingHandler
    {
        public bool Armed { get; set; }

        public TaskCompletionSource Sent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (!Armed)
            {
                return response;
            }

            response.Dispose();
            Sent.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }
}
