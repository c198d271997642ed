using OfflineBearer.Redis.Internal;
using OfflineBearer.Redis.Tests.Support;
using OfflineBearer.Stores;
using StackExchange.Redis;

namespace OfflineBearer.Redis.Tests;

/// <summary>
/// How the Redis store keeps clients apart and handles its connection: one client's lease, mark and state never touch
/// another's under the same prefix; a connection the store opened is closed with it; a failed connect is tried again.
/// </summary>
[Collection(SharedFleet.Name)]
public sealed class RedisKeysAndConnectionTests(FleetFixture fleet)
{
    [Fact]
    public async Task Clients_under_one_prefix_have_leases_marks_and_states_of_their_own()
    {
        var prefix = FleetFixture.NewPrefix();
        await using var store = fleet.Store(prefix);
        var inventory = await store.TryAcquireLeaseAsync("inventory", TimeSpan.FromMinutes(1), default);
        Assert.NotNull(inventory);
        Assert.True(await store.TryWriteAsync("inventory", inventory, new SharedTokenState(1, "rt-inventory", "at-inventory", null, null), default));
        Assert.True(await store.TryMarkRedeemingAsync("inventory", inventory, redeeming: true, default));

        var billing = await store.TryAcquireLeaseAsync("billing", TimeSpan.FromMinutes(1), default);
        var billingState = await store.ReadAsync("billing", default);
        var inventoryState = await store.ReadAsync("inventory", default);

        Assert.NotNull(billing);
        Assert.Null(billingState);
        Assert.Equal("rt-inventory", inventoryState?.RefreshToken);
        Assert.True(inventoryState?.RefreshTokenMayBeSpent);
    }

    [Fact]
    public async Task A_store_closes_the_connection_it_opened_when_it_is_disposed()
    {
        ConnectionMultiplexer? opened = null;
        var store = Store(FleetFixture.NewPrefix(), fleet.Time, async () => opened = await ConnectionMultiplexer.ConnectAsync(fleet.Redis.Configuration));
        Assert.Null(await store.ReadAsync("inventory", default));

        await store.DisposeAsync();

        Assert.NotNull(opened);
        Assert.False(opened.IsConnected);
    }

    [Fact]
    public async Task A_connect_that_failed_or_was_cancelled_is_tried_again_on_the_next_call()
    {
        var attempts = 0;
        await using var store = Store(FleetFixture.NewPrefix(), fleet.Time, async () => ++attempts switch
        {
            1 => throw new InvalidOperationException("the first connect fails"),
            2 => throw new OperationCanceledException("the second is cancelled"),
            _ => await ConnectionMultiplexer.ConnectAsync(fleet.Redis.Configuration),
        });

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.ReadAsync("inventory", default));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.ReadAsync("inventory", default));
        var state = await store.ReadAsync("inventory", default);

        Assert.Null(state);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task A_write_without_a_state_is_refused_before_it_reaches_redis()
    {
        await using var store = fleet.Store(FleetFixture.NewPrefix());

        await Assert.ThrowsAsync<ArgumentNullException>(async () => await store.TryWriteAsync("inventory", "no-lease", null!, default));
    }

    private static RedisSharedTokenStore Store(string prefix, TimeProvider time, Func<Task<IConnectionMultiplexer>> connect) => new(
        new RedisTokenStoreOptions { KeyPrefix = prefix }, connect, ownsConnection: true, time, OfflineBearer.Redis.Internal.TokenProtection.None);
}
