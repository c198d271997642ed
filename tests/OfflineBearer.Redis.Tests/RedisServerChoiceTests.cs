using OfflineBearer.Testing.Redis;

namespace OfflineBearer.Redis.Tests;

/// <summary>
/// Which server <see cref="RedisServer.StartAsync(CancellationToken)"/> starts: <c>OFFLINEBEARER_TEST_REDIS</c> when set,
/// else <c>redis-server</c> when installed, else the embedded Garnet; a setting it cannot honour fails instead of running
/// the tests on the other kind.
/// </summary>
public sealed class RedisServerChoiceTests
{
    private const string Installed = "/usr/bin/redis-server";

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Without_a_setting_it_is_redis_server_where_installed_and_embedded_elsewhere(string? setting)
    {
        Assert.Equal(RedisServerKind.RedisServer, RedisServerChoice.Choose(setting, Installed));
        Assert.Equal(RedisServerKind.Embedded, RedisServerChoice.Choose(setting, executable: null));
    }

    [Fact]
    public void The_setting_embedded_runs_the_embedded_server_even_where_redis_server_is_installed()
    {
        Assert.Equal(RedisServerKind.Embedded, RedisServerChoice.Choose("embedded", Installed));
        Assert.Equal(RedisServerKind.Embedded, RedisServerChoice.Choose("embedded", executable: null));
    }

    [Fact]
    public void The_setting_redis_server_runs_redis_server_and_fails_where_it_is_not_installed()
    {
        Assert.Equal(RedisServerKind.RedisServer, RedisServerChoice.Choose("redis-server", Installed));

        var error = Assert.Throws<InvalidOperationException>(() => RedisServerChoice.Choose("redis-server", executable: null));

        Assert.Contains("OFFLINEBEARER_TEST_REDIS=redis-server, but redis-server is not installed", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garnet")]
    [InlineData("Embedded")]
    [InlineData("redis")]
    public void Any_other_setting_fails_naming_the_two_it_takes(string setting)
    {
        var error = Assert.Throws<InvalidOperationException>(() => RedisServerChoice.Choose(setting, Installed));

        Assert.Contains($"OFFLINEBEARER_TEST_REDIS='{setting}' names no Redis server", error.Message, StringComparison.Ordinal);
        Assert.Contains("'redis-server'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'embedded'", error.Message, StringComparison.Ordinal);
    }
}
