using Microsoft.Extensions.Time.Testing;
using OfflineBearer.DevServer;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>
/// One redis-server and one development token server (refresh tokens rotate, reuse is refused and ends the session)
/// for the whole run. Tests run one at a time (<see cref="Fleet"/>); each uses its own key prefix and moves the shared
/// fake clock past every token issued before it.
/// </summary>
public sealed class FleetFixture : IAsyncLifetime
{
    private RedisServer? _redis;
    private TokenServer? _tokenServer;

    internal RedisServer Redis => _redis ?? throw new InvalidOperationException("The fixture has not started.");

    public TokenServer TokenServer => _tokenServer ?? throw new InvalidOperationException("The fixture has not started.");

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    public TimeSpan AccessTokenLifetime { get; } = TimeSpan.FromSeconds(10);

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _tokenServer = await TokenServer.StartAsync(new DevServerOptions
        {
            TimeProvider = Time,
            RotateRefreshTokens = true,
            AccessTokenLifetime = AccessTokenLifetime,
            ConfigureLogging = _ => { },
        });
    }

    public async Task DisposeAsync()
    {
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
public sealed class Fleet : ICollectionFixture<FleetFixture>
{
    public const string Name = "Redis and token server";
}
