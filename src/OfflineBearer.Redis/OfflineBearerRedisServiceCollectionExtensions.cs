using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OfflineBearer;
using OfflineBearer.Redis;
using OfflineBearer.Redis.Internal;
using OfflineBearer.Stores;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Shares the tokens of every client registered with <c>AddOfflineBearerHandler</c> between all replicas that use the
/// same Redis and key prefix: one token request per expiry for the fleet, and a refresh token never redeemed twice.
/// The options are validated when the host starts (<c>ValidateOnStart</c>) and, at the latest, when the store is created.
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

        services.AddOptions<RedisTokenStoreOptions>().Configure(configure);
        return Register(services, application: null);
    }

    /// <summary>Shares tokens on Redis, with options bound from a configuration section.</summary>
    /// <param name="services">The services.</param>
    /// <param name="section">
    /// The section whose keys are the names of <see cref="RedisTokenStoreOptions"/> properties, such as
    /// <c>"OfflineBearer:Redis": { "Configuration": "redis.internal:6379,ssl=true", "KeyPrefix": "inventory:" }</c>;
    /// <c>Configuration</c> is required.
    /// </param>
    /// <returns>The same services, for chaining.</returns>
    public static IServiceCollection AddOfflineBearerRedis(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);

        services.AddOptions<RedisTokenStoreOptions>().Bind(section);
        return Register(services, application: null);
    }

    /// <summary>Shares tokens on a connection the application already has; the store never closes it.</summary>
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

        var options = services.AddOptions<RedisTokenStoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return Register(services, connection);
    }

    private static IServiceCollection Register(IServiceCollection services, Func<IServiceProvider, IConnectionMultiplexer>? application)
    {
        services.AddOptionsWithValidateOnStart<RedisTokenStoreOptions, RedisTokenStoreOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.RemoveAll<RedisConnectionSource>();
        services.AddSingleton(new RedisConnectionSource(application));
        services.RemoveAll<ISharedTokenStore>();
        services.AddSingleton<ISharedTokenStore>(Create);
        return services;
    }

    private static RedisSharedTokenStore Create(IServiceProvider services)
    {
        // Validated here at the latest, for a service provider without a host.
        var options = services.GetRequiredService<IOptions<RedisTokenStoreOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        var protection = TokenProtection.From(services);
        if (services.GetRequiredService<RedisConnectionSource>().Application is { } application)
        {
            return new RedisSharedTokenStore(options, () => Task.FromResult(application(services)), ownsConnection: false, time, protection);
        }

        // abortConnect=false: a replica starts while Redis is down and connects when it is back.
        var configuration = ConfigurationOptions.Parse(options.Configuration!);
        configuration.AbortOnConnectFail = false;
        return new RedisSharedTokenStore(
            options, async () => await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false), ownsConnection: true, time, protection);
    }
}
