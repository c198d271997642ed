using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace OfflineBearer.Redis.Internal;

/// <summary>Checks the Redis store's options when the host starts; every message names the option and never repeats its value.</summary>
internal sealed class RedisTokenStoreOptionsValidator(RedisConnectionSource source) : IValidateOptions<RedisTokenStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisTokenStoreOptions options)
    {
        var failures = new List<string>();
        if (source.Application is null)
        {
            if (string.IsNullOrWhiteSpace(options.Configuration))
            {
                failures.Add(
                    "OfflineBearer Redis store: Configuration is required, a StackExchange.Redis configuration string such as " +
                    "redis.internal:6379,ssl=true,password=…, unless AddOfflineBearerRedis is given the application's connection.");
            }
            else if (!Parses(options.Configuration))
            {
                // The string may hold a password: the message names the option, not what it holds.
                failures.Add(
                    "OfflineBearer Redis store: Configuration is not a StackExchange.Redis configuration string " +
                    "(host:port, then comma-separated options such as ssl=true,password=…).");
            }
        }

        if (string.IsNullOrEmpty(options.KeyPrefix))
        {
            failures.Add(
                "OfflineBearer Redis store: KeyPrefix must not be empty, so that the tokens' keys cannot collide with the " +
                "application's own (the default is offlinebearer:).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool Parses(string configuration)
    {
        try
        {
            return ConfigurationOptions.Parse(configuration).EndPoints.Count > 0;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
