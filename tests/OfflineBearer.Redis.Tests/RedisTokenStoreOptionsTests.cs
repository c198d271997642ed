using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OfflineBearer.Redis.Tests.Support;

namespace OfflineBearer.Redis.Tests;

/// <summary>
/// <see cref="RedisTokenStoreOptions"/>: its defaults, binding from configuration, and the checks at start-up
/// (<c>ValidateOnStart</c>, run here as the host runs them, through <see cref="IStartupValidator"/>).
/// </summary>
[Collection(SharedFleet.Name)]
public sealed class RedisTokenStoreOptionsTests(FleetFixture fleet)
{
    [Fact]
    public void The_defaults_are_the_documented_ones()
    {
        var options = new RedisTokenStoreOptions();

        Assert.Null(options.Configuration);
        Assert.Equal("offlinebearer:", options.KeyPrefix);
        Assert.False(options.AllowLocalRefreshWhenUnavailable);
    }

    [Fact]
    public async Task Options_bound_from_a_configuration_section_reach_the_store()
    {
        var prefix = FleetFixture.NewPrefix();
        var section = Section(new()
        {
            ["Fleet:Redis:Configuration"] = fleet.Redis.Configuration,
            ["Fleet:Redis:KeyPrefix"] = prefix,
            ["Fleet:Redis:AllowLocalRefreshWhenUnavailable"] = "true",
        });
        await using (var other = fleet.Store(prefix))
        {
            var lease = await other.TryAcquireLeaseAsync("api", TimeSpan.FromMinutes(1), default);
            Assert.True(await other.TryWriteAsync("api", lease!, new SharedTokenState(1, "rt-1", "at-1", null, null), default));
        }

        await using var services = new ServiceCollection().AddOfflineBearerRedis(section).BuildServiceProvider();
        services.GetRequiredService<IStartupValidator>().Validate();
        var store = services.GetRequiredService<ISharedTokenStore>();

        Assert.True(store.AllowLocalRefreshWhenUnavailable);
        Assert.Equal("rt-1", (await store.ReadAsync("api", default))?.RefreshToken);
    }

    [Fact]
    public void A_section_without_Configuration_fails_at_start_naming_the_option()
    {
        var section = Section(new() { ["Fleet:Redis:KeyPrefix"] = "inventory:" });
        using var services = new ServiceCollection().AddOfflineBearerRedis(section).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(services.GetRequiredService<IStartupValidator>().Validate);

        Assert.Contains(
            "Configuration is required, a StackExchange.Redis configuration string such as redis.internal:6379,ssl=true,password=…, " +
            "unless AddOfflineBearerRedis is given the application's connection.",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_KeyPrefix_fails_at_start()
    {
        using var services = new ServiceCollection()
            .AddOfflineBearerRedis(o => (o.Configuration, o.KeyPrefix) = (fleet.Redis.Configuration, ""))
            .BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(services.GetRequiredService<IStartupValidator>().Validate);

        Assert.Contains(
            "KeyPrefix must not be empty, so that the tokens' keys cannot collide with the application's own (the default is offlinebearer:).",
            error.Message,
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:6379,password=hunter2,notAnOption=1")]
    [InlineData("ssl=true,password=hunter2")]
    public void A_Configuration_that_is_not_a_redis_configuration_string_or_names_no_server_fails_at_start_without_repeating_it(string configuration)
    {
        using var services = new ServiceCollection().AddOfflineBearerRedis(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(services.GetRequiredService<IStartupValidator>().Validate);

        Assert.Contains(
            "Configuration is not a StackExchange.Redis configuration string (host:port, then comma-separated options such as ssl=true,password=…).",
            error.Message,
            StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_host_the_store_is_not_created_from_invalid_options()
    {
        using var services = new ServiceCollection().AddOfflineBearerRedis(_ => { }).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(services.GetRequiredService<ISharedTokenStore>);

        Assert.Contains("Configuration is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_applications_connection_no_Configuration_is_needed()
    {
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fleet.Redis.Configuration);
        await using var services = new ServiceCollection().AddOfflineBearerRedis(_ => connection).BuildServiceProvider();

        services.GetRequiredService<IStartupValidator>().Validate();

        Assert.Null(await services.GetRequiredService<ISharedTokenStore>().ReadAsync("nobody", default));
    }

    private static IConfigurationSection Section(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Fleet:Redis");
}
