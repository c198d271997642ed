using StackExchange.Redis;

namespace OfflineBearer.Redis.Internal;

/// <summary>
/// Where the store's connection comes from: the application's own (it keeps it open), or one the store opens from
/// <see cref="RedisTokenStoreOptions.Configuration"/> (and closes). The last <c>AddOfflineBearerRedis</c> call decides.
/// </summary>
internal sealed class RedisConnectionSource(Func<IServiceProvider, IConnectionMultiplexer>? application)
{
    public Func<IServiceProvider, IConnectionMultiplexer>? Application { get; } = application;
}
