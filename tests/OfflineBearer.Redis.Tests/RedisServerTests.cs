using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using OfflineBearer.Testing.Redis;
using OfflineBearer.Redis.Tests.Support;
using StackExchange.Redis;

namespace OfflineBearer.Redis.Tests;

/// <summary>
/// The test harness itself, for each kind installed here (the embedded Garnet always, <c>redis-server</c> where it is on
/// PATH): a server that starts, answers, runs the store's kind of Lua script, dies as an outage (clients lose their
/// connection, the port refuses) and comes back empty on its port. The fleet tests' outages rely on exactly this.
/// Waits are on real servers and bounded.
/// </summary>
public sealed class RedisServerTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>
{
    /// <summary>Bound on what a real server does after a kill or a restart: it happens in milliseconds.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public static TheoryData<RedisServerKind> Kinds() => RedisServer.FindExecutable() is null
        ? [RedisServerKind.Embedded]
        : [RedisServerKind.Embedded, RedisServerKind.RedisServer];

    [Fact]
    public async Task The_shared_server_is_the_kind_this_run_asks_for_and_answers_PING()
    {
        // What CI's second run relies on: OFFLINEBEARER_TEST_REDIS=embedded really runs the Redis tests on Garnet.
        var expected = Environment.GetEnvironmentVariable("OFFLINEBEARER_TEST_REDIS") switch
        {
            "embedded" => RedisServerKind.Embedded,
            "redis-server" => RedisServerKind.RedisServer,
            _ => RedisServer.FindExecutable() is null ? RedisServerKind.Embedded : RedisServerKind.RedisServer,
        };
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Configuration);

        var pong = await redis.GetDatabase().ExecuteAsync("PING");

        Assert.Equal(expected, fixture.Server.Kind);
        Assert.Equal("PONG", pong.ToString());
        Assert.Equal($"127.0.0.1:{fixture.Server.Port}", fixture.Server.Configuration);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task It_runs_the_stores_kind_of_script_which_reads_a_missing_field_as_false_and_publishes_to_subscribers(RedisServerKind kind)
    {
        await using var server = await StartAsync(kind);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var db = redis.GetDatabase();
        var published = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal("{c}:written"), (_, message) => published.TrySetResult(message.ToString()));
        await db.StringSetAsync("{c}:spending", "1");
        const string Script = """
            local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
            if current >= tonumber(ARGV[1]) then return -1 end
            redis.call('DEL', KEYS[1], KEYS[2])
            redis.call('HSET', KEYS[1], 'v', ARGV[1], 'at', ARGV[2])
            redis.call('PUBLISH', ARGV[3], ARGV[1])
            return 1
            """;
        RedisKey[] keys = ["{c}:state", "{c}:spending"];

        var first = (int)await db.ScriptEvaluateAsync(Script, keys, [1, "token", "{c}:written"]);
        var message = await published.Task.WaitAsync(Bound);
        var again = (int)await db.ScriptEvaluateAsync(Script, keys, [1, "other", "{c}:written"]);

        Assert.Equal(1, first);
        Assert.Equal("1", message);
        Assert.Equal(-1, again);
        Assert.Equal("token", await db.HashGetAsync("{c}:state", "at"));
        Assert.False(await db.KeyExistsAsync("{c}:spending"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_kill_drops_every_live_client_connection_and_the_port_refuses_until_it_starts_again(RedisServerKind kind)
    {
        await using var server = await StartAsync(kind);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal("channel"), (_, _) => { });
        var lost = new ConcurrentDictionary<ConnectionType, TaskCompletionSource>();
        TaskCompletionSource Lost(ConnectionType type) => lost.GetOrAdd(type, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
        redis.ConnectionFailed += (_, e) => Lost(e.ConnectionType).TrySetResult();
        using var raw = new TcpClient();
        await raw.ConnectAsync(IPAddress.Loopback, server.Port);
        var stream = raw.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray());
        var buffer = new byte[64];
        for (var read = 0; read < "+PONG\r\n".Length;)
        {
            var more = await stream.ReadAsync(buffer.AsMemory(read));
            Assert.NotEqual(0, more);
            read += more;
        }

        await server.KillAsync();

        // Both of the client's connections (commands and pub/sub) see the loss; a raw socket reads the end of the stream.
        await Lost(ConnectionType.Interactive).Task.WaitAsync(Bound);
        await Lost(ConnectionType.Subscription).Task.WaitAsync(Bound);
        Assert.Equal(0, await ReadOrResetAsync(stream, buffer).WaitAsync(Bound));
        var refused = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            using var again = new TcpClient();
            await again.ConnectAsync(IPAddress.Loopback, server.Port);
        });
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.False(redis.IsConnected);

        await server.StartAgainAsync();
        Assert.Equal("PONG", (await redis.GetDatabase().ExecuteAsync("PING")).ToString());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task After_a_kill_and_a_restart_it_answers_on_the_same_port_with_no_keys_and_no_scripts(RedisServerKind kind)
    {
        await using var server = await StartAsync(kind);
        var port = server.Port;
        string script;
        await using (var before = await ConnectionMultiplexer.ConnectAsync(server.Configuration))
        {
            Assert.True(await before.GetDatabase().StringSetAsync("survivor", "value"));
            Assert.Equal("value", await before.GetDatabase().StringGetAsync("survivor"));
            script = (string)(await before.GetDatabase().ExecuteAsync("SCRIPT", "LOAD", "return 1"))!;
            Assert.Equal(1, (int)(await before.GetDatabase().ExecuteAsync("SCRIPT", "EXISTS", script))[0]);
        }

        await server.KillAsync();
        await server.StartAgainAsync();

        Assert.Equal(kind, server.Kind);
        Assert.Equal(port, server.Port);
        await using var after = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var db = after.GetDatabase();
        Assert.Equal("PONG", (await db.ExecuteAsync("PING")).ToString());
        Assert.False(await db.KeyExistsAsync("survivor"));
        Assert.Equal(0L, (long)await db.ExecuteAsync("DBSIZE"));
        Assert.Equal(0, (int)(await db.ExecuteAsync("SCRIPT", "EXISTS", script))[0]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_client_connected_before_the_outage_reconnects_on_its_own_to_the_empty_server(RedisServerKind kind)
    {
        await using var server = await StartAsync(kind);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var db = redis.GetDatabase();
        await db.StringSetAsync("before", "value");
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        redis.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                restored.TrySetResult();
            }
        };

        await server.KillAsync();
        await server.StartAgainAsync();
        await restored.Task.WaitAsync(Bound);

        Assert.False(await db.KeyExistsAsync("before"));
        Assert.True(await db.StringSetAsync("after", "value"));
    }

    private static Task<RedisServer> StartAsync(RedisServerKind kind) => kind == RedisServerKind.Embedded
        ? RedisServer.StartEmbeddedAsync()
        : RedisServer.StartAsync(RedisServer.FindExecutable()!);

    /// <summary>A read on a socket whose server is gone: 0 at the end of the stream, or 0 too when it was reset.</summary>
    private static async Task<int> ReadOrResetAsync(NetworkStream stream, byte[] buffer)
    {
        try
        {
            return await stream.ReadAsync(buffer);
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return 0;
        }
    }
}
