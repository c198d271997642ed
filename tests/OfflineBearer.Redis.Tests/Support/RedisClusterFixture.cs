using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Redis.Internal;
using OfflineBearer.Testing.Redis;
using StackExchange.Redis;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>
/// One <see cref="RedisCluster"/> (three masters, a replica each) and one development token server whose refresh tokens
/// rotate with strict reuse detection, for the cluster tests, which run one at a time (<see cref="SharedCluster"/>);
/// each uses its own key prefix and moves the shared fake clock past every token issued before it. Nothing starts
/// when redis-server is not installed: the tests are then skipped (<see cref="ClusterFactAttribute"/>).
/// </summary>
public sealed class RedisClusterFixture : IAsyncLifetime, IFleetFixture
{
    private RedisCluster? _cluster;
    private TestTokenServer? _tokenServer;

    internal RedisCluster Cluster => _cluster ?? throw new InvalidOperationException("The fixture has not started.");

    public string RedisConfiguration => Cluster.Configuration;

    public TestTokenServer TestTokenServer => _tokenServer ?? throw new InvalidOperationException("The fixture has not started.");

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    public TimeSpan AccessTokenLifetime { get; } = TimeSpan.FromSeconds(10);

    /// <summary>Past the expiry of every token issued so far.</summary>
    public TimeSpan Expiry => AccessTokenLifetime + TimeSpan.FromSeconds(1);

    public async Task InitializeAsync()
    {
        if (ClusterSkip.Reason is not null)
        {
            return;
        }

        _cluster = await RedisCluster.StartAsync();
        _tokenServer = await TestTokenServer.StartAsync(new TestTokenServerOptions
        {
            TimeProvider = Time,
            RotateRefreshTokens = true,
            AccessTokenLifetime = AccessTokenLifetime,
            ConfigureLogging = _ => { },
        });
    }

    /// <summary>Every token issued before has expired, and the counters start from zero.</summary>
    public void StartClean()
    {
        Time.Advance(Expiry);
        TestTokenServer.Ledger.Reset();
    }

    /// <summary>The store of a replica on a connection of its own to the cluster, to stage or watch what replicas do.</summary>
    internal RedisSharedTokenStore Store(string prefix, Func<Task<IConnectionMultiplexer>>? connect = null) => new(
        new RedisTokenStoreOptions { Configuration = RedisConfiguration, KeyPrefix = prefix },
        connect ?? (async () => await ConnectionMultiplexer.ConnectAsync(RedisConfiguration)),
        ownsConnection: true,
        Time,
        OfflineBearer.Redis.Internal.TokenProtection.None);

    /// <summary>Runs <paramref name="action"/> on a connection of its own, as an administrator would.</summary>
    public async Task<T> OnClusterAsync<T>(Func<IConnectionMultiplexer, Task<T>> action)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisConfiguration + ",allowAdmin=true");
        return await action(redis);
    }

    /// <summary>
    /// How often the node on <paramref name="port"/> has answered with <paramref name="error"/> (<c>MOVED</c>,
    /// <c>ASK</c>, <c>TRYAGAIN</c>; from <c>INFO errorstats</c>) and run <paramref name="command"/> (from <c>INFO commandstats</c>).
    /// </summary>
    public Task<(long Errors, long Calls)> StatsAsync(int port, string error, string command) => OnClusterAsync(async redis =>
    {
        var server = redis.GetServer("127.0.0.1", port);
        var errors = await server.InfoRawAsync("errorstats");
        var commands = await server.InfoRawAsync("commandstats");
        return (Count(errors, $"errorstat_{error}:count="), Count(commands, $"cmdstat_{command}:calls="));
    });

    public async Task DisposeAsync()
    {
        if (_tokenServer is not null)
        {
            await _tokenServer.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    private static long Count(string? info, string field)
    {
        var at = info?.IndexOf(field, StringComparison.Ordinal) ?? -1;
        if (at < 0)
        {
            return 0;
        }

        var digits = info![(at + field.Length)..].TakeWhile(char.IsAsciiDigit).ToArray();
        return long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
    }
}

[CollectionDefinition(Name)]
public sealed class SharedCluster : ICollectionFixture<RedisClusterFixture>
{
    public const string Name = "Redis Cluster and token server";
}
