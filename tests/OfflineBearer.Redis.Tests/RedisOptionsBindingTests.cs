using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace OfflineBearer.Redis.Tests;

/// <summary>
/// <c>AddOfflineBearerRedis(IConfiguration)</c> binds through the configuration binding source generator (#11), without
/// reflection: every option must still arrive. No Redis is needed to read the options.
/// </summary>
public sealed class RedisOptionsBindingTests
{
    private static readonly Dictionary<string, string?> EveryOption = new()
    {
        ["Fleet:Redis:Configuration"] = "redis.internal:6379,ssl=true",
        ["Fleet:Redis:KeyPrefix"] = "inventory:",
        ["Fleet:Redis:AllowLocalRefreshWhenUnavailable"] = "true",
    };

    [Fact]
    public void Every_option_binds_from_a_configuration_section()
    {
        var options = Bind(EveryOption);

        Assert.Equal("redis.internal:6379,ssl=true", options.Configuration);
        Assert.Equal("inventory:", options.KeyPrefix);
        Assert.True(options.AllowLocalRefreshWhenUnavailable);
    }

    [Fact]
    public void No_option_is_left_out_of_the_binding_test()
    {
        var bound = Bind(EveryOption);
        var defaults = new RedisTokenStoreOptions();

        // A new option belongs in EveryOption and in the test above: the generator binds it, but nothing shows it does.
        var unbound = typeof(RedisTokenStoreOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => Equals(p.GetValue(bound), p.GetValue(defaults)))
            .Select(p => p.Name);

        Assert.Empty(unbound);
    }

    private static RedisTokenStoreOptions Bind(Dictionary<string, string?> values)
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Fleet:Redis");
        using var services = new ServiceCollection().AddOfflineBearerRedis(section).BuildServiceProvider();
        return services.GetRequiredService<IOptions<RedisTokenStoreOptions>>().Value;
    }
}
