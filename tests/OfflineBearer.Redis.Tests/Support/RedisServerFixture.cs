using OfflineBearer.Testing.Redis;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>
/// One <see cref="RedisServer"/> for the tests of a class or collection (<c>IClassFixture</c> / <c>ICollectionFixture</c>),
/// of the kind this run asks for (<see cref="RedisServer.StartAsync(CancellationToken)"/>: <c>OFFLINEBEARER_TEST_REDIS</c>,
/// else <c>redis-server</c> when installed, else the embedded Garnet).
/// Tests that share it should not count on an empty database: give each its own key prefix, or flush.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private RedisServer? server;

    /// <summary>The running server; set once <see cref="InitializeAsync"/> has run.</summary>
    internal RedisServer Server => server ?? throw new InvalidOperationException("The fixture has not been initialized.");

    public async Task InitializeAsync() => server = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}
