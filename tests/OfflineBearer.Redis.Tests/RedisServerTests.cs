using OfflineBearer.Testing.Redis;
using OfflineBearer.Redis.Tests.Support;
using StackExchange.Redis;

namespace OfflineBearer.Redis.Tests;

/// <summary>The test harness itself: a real redis-server that starts, answers, dies and comes back empty on its port.</summary>
public sealed class RedisServerTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task The_server_answers_PING()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Configuration);

        var pong = await redis.GetDatabase().ExecuteAsync("PING");

        Assert.Equal("PONG", pong.ToString());
        Assert.Equal($"127.0.0.1:{fixture.Server.Port}", fixture.Server.Configuration);
    }

    [Fact]
    public async Task After_a_kill_and_a_restart_it_answers_on_the_same_port_with_no_keys()
    {
        await using var server = await RedisServer.StartAsync();
        var port = server.Port;
        await using (var before = await ConnectionMultiplexer.ConnectAsync(server.Configuration))
        {
            Assert.True(await before.GetDatabase().StringSetAsync("survivor", "value"));
            Assert.Equal("value", await before.GetDatabase().StringGetAsync("survivor"));
        }

        await server.KillAsync();
        await server.StartAgainAsync();

        Assert.Equal(port, server.Port);
        await using var after = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var db = after.GetDatabase();
        Assert.Equal("PONG", (await db.ExecuteAsync("PING")).ToString());
        Assert.False(await db.KeyExistsAsync("survivor"));
        Assert.Equal(0L, (long)await db.ExecuteAsync("DBSIZE"));
    }
}
