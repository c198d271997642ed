using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Testing;
using OfflineBearer.Testing.Redis;
using OfflineBearer.Redis.Internal;
using OfflineBearer.Stores;
using OfflineBearer.TokenEndpoint;
using StackExchange.Redis;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>
/// One Redis server (<see cref="RedisServer.StartAsync(CancellationToken)"/>: <c>redis-server</c>, or the embedded Garnet
/// where it is not installed) and two development token servers for the whole run: one whose refresh tokens rotate (reuse is
/// refused and ends the session), and one whose refresh tokens stay valid after use. Tests run one at a time
/// (<see cref="Fleet"/>); each uses its own key prefix and moves the shared fake clock past every token issued before it.
/// </summary>
public sealed class FleetFixture : IAsyncLifetime, IFleetFixture
{
    private RedisServer? _redis;
    private TestTokenServer? _tokenServer;
    private TestTokenServer? _nonRotatingTokenServer;

    internal RedisServer Redis => _redis ?? throw new InvalidOperationException("The fixture has not started.");

    string IFleetFixture.RedisConfiguration => Redis.Configuration;

    /// <summary>Rotates refresh tokens with strict reuse detection.</summary>
    public TestTokenServer TestTokenServer => _tokenServer ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>A refresh token stays valid after use (each refresh still returns a new one, as Keycloak does).</summary>
    public TestTokenServer NonRotatingTokenServer => _nonRotatingTokenServer ?? throw new InvalidOperationException("The fixture has not started.");

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    public TimeSpan AccessTokenLifetime { get; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The lifetime the library schedules with: the JWT's <c>exp - iat</c> less its one-second margin. With the default
    /// RefreshBeforeExpiry (60 s) the refresh window is half of it, and it opens at <see cref="RefreshWindowOpensAfter"/>.
    /// </summary>
    public TimeSpan ScheduledLifetime => AccessTokenLifetime - TokenLifetime.Margin;

    /// <summary>How long after a token was got its refresh window opens, with the default options.</summary>
    public TimeSpan RefreshWindowOpensAfter => ScheduledLifetime / 2;

    public static string NewPrefix() => $"test-{Guid.NewGuid():N}:";

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _tokenServer = await TestTokenServer.StartAsync(new TestTokenServerOptions
        {
            TimeProvider = Time,
            RotateRefreshTokens = true,
            AccessTokenLifetime = AccessTokenLifetime,
            ConfigureLogging = _ => { },
        });
        _nonRotatingTokenServer = await TestTokenServer.StartAsync(new TestTokenServerOptions
        {
            TimeProvider = Time,
            RotateRefreshTokens = false,
            AccessTokenLifetime = AccessTokenLifetime,
            ConfigureLogging = _ => { },
        });
    }

    /// <summary>Every token issued before has expired, and the counters start from zero.</summary>
    public void StartClean()
    {
        Time.Advance(AccessTokenLifetime + TimeSpan.FromSeconds(1));
        TestTokenServer.Ledger.Reset();
        NonRotatingTokenServer.Ledger.Reset();
    }

    /// <summary>
    /// The store of a replica, used directly to stage what other replicas left in Redis, or given to a replica whose clock
    /// is <paramref name="time"/> (its waits for a write run on that clock).
    /// </summary>
    internal RedisSharedTokenStore Store(string prefix, OfflineBearer.Redis.Internal.TokenProtection? protection = null, TimeProvider? time = null) => new(
        new RedisTokenStoreOptions { Configuration = Redis.Configuration, KeyPrefix = prefix },
        async () => await ConnectionMultiplexer.ConnectAsync(Redis.Configuration),
        ownsConnection: true,
        time ?? Time,
        protection ?? OfflineBearer.Redis.Internal.TokenProtection.None);

    /// <summary>The Redis key of one client's <paramref name="part"/> (state, lease, spending), as the store names it.</summary>
    public static string Key(string prefix, string part, string clientName = Replica.ClientName) => $"{prefix}{{{clientName}}}:{part}";

    /// <summary>Runs <paramref name="action"/> on a connection of its own, as an administrator or another process would.</summary>
    public async Task<T> OnRedisAsync<T>(Func<IDatabase, Task<T>> action)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Redis.Configuration);
        return await action(redis.GetDatabase());
    }

    public async Task DisposeAsync()
    {
        if (_nonRotatingTokenServer is not null)
        {
            await _nonRotatingTokenServer.DisposeAsync();
        }

        if (_tokenServer is not null)
        {
            await _tokenServer.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SharedFleet : ICollectionFixture<FleetFixture>
{
    public const string Name = "Redis and token server";
}
