using Microsoft.Extensions.DependencyInjection.Extensions;
using OfflineBearer;
using OfflineBearer.Internal;
using OfflineBearer.Redis;
using OfflineBearer.Redis.Internal;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Shares the tokens of every client registered with <c>AddOfflineBearerHandler</c> between all replicas that use the
/// same Redis and key prefix: one token request per expiry for the fleet, and a refresh token never redeemed twice.
/// </summary>
public static class OfflineBearerRedisServiceCollectionExtensions
{
    /// <summary>Shares tokens on the Redis that <paramref name="configuration"/> names.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">A StackExchange.Redis configuration string, such as <c>redis.internal:6379,ssl=true,password=…</c>.</param>
    /// <returns>The same services, for chaining.</returns>
    public static IServiceCollection AddOfflineBearerRedis(this IServiceCollection services, string configuration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        return services.AddOfflineBearerRedis(o => o.Configuration = configuration);
    }

    /// <summary>Shares tokens on Redis, with options set in code.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options; <see cref="RedisTokenStoreOptions.Configuration"/> is required.</param>
    /// <returns>The same services, for chaining.</returns>
    public static IServiceCollection AddOfflineBearerRedis(this IServiceCollection services, Action<RedisTokenStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        var options = new RedisTokenStoreOptions();
        configure(options);
        if (string.IsNullOrWhiteSpace(options.Configuration))
        {
            throw new ArgumentException("AddOfflineBearerRedis needs RedisTokenStoreOptions.Configuration, a StackExchange.Redis configuration string.", nameof(configure));
        }

        // abortConnect=false: a replica starts while Redis is down and connects when it is back.
        var configuration = ConfigurationOptions.Parse(options.Configuration);
        configuration.AbortOnConnectFail = false;
        return Register(services, options, _ => async () => await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false), ownsConnection: true);
    }

    /// <summary>Shares tokens on a connection the application already has.</summary>
    /// <param name="services">The services.</param>
    /// <param name="connection">Gives the application's connection.</param>
    /// <param name="configure">Sets the other options (key prefix, local refresh).</param>
    /// <returns>The same services, for chaining.</returns>
    public static IServiceCollection AddOfflineBearerRedis(
        this IServiceCollection services,
        Func<IServiceProvider, IConnectionMultiplexer> connection,
        Action<RedisTokenStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(connection);

        var options = new RedisTokenStoreOptions();
        configure?.Invoke(options);
        return Register(services, options, sp => () => Task.FromResult(connection(sp)), ownsConnection: false);
    }

    private static IServiceCollection Register(
        IServiceCollection services,
        RedisTokenStoreOptions options,
        Func<IServiceProvider, Func<Task<IConnectionMultiplexer>>> connect,
        bool ownsConnection)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.RemoveAll<ISharedTokenStore>();
        services.AddSingleton<ISharedTokenStore>(sp => new RedisSharedTokenStore(
            options, connect(sp), ownsConnection, sp.GetRequiredService<TimeProvider>(), TokenProtection.From(sp)));
        return services;
    }
}
