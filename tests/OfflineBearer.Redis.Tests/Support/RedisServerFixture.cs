using OfflineBearer.Testing.Redis;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>
/// One <see cref="RedisServer"/> for the tests of a class or collection (<c>IClassFixture</c> / <c>ICollectionFixture</c>).
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
