using System.CommandLine;

namespace OfflineBearer.Cli;

/// <summary>The options that say where a client's tokens are kept: the same places a service using the library reads.</summary>
internal sealed class StoreOptions
{
    private readonly Option<string> _store = new("--store")
    {
        Description = "The directory of AddOfflineBearerFileStore(DIR): the refresh token goes where the service reads it.",
    };

    private readonly Option<string> _client = new("--client")
    {
        Description = "The name of the client in the service (AddHttpClient(NAME)); the store keeps one token per name.",
    };

    private readonly Option<string> _redis = new("--redis")
    {
        Description = "The Redis configuration of AddOfflineBearerRedis (host:port,password=…), for a fleet.",
    };

    private readonly Option<string> _redisKeyPrefix = new("--redis-key-prefix")
    {
        Description = "The KeyPrefix of AddOfflineBearerRedis.",
        DefaultValueFactory = _ => "offlinebearer:",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_store);
        command.Options.Add(_client);
        command.Options.Add(_redis);
        command.Options.Add(_redisKeyPrefix);
    }

    public StoreArguments Read(ParseResult parsed, bool required)
    {
        var directory = parsed.GetValue(_store);
        var redis = parsed.GetValue(_redis);
        var client = parsed.GetValue(_client);
        if (directory is not null && redis is not null)
        {
            throw new CliException(ExitCodes.UsageError, "Give --store or --redis, not both: a service reads its offline token from one of them.");
        }

        if ((directory ?? redis) is not null && string.IsNullOrWhiteSpace(client))
        {
            throw new CliException(ExitCodes.UsageError, "--client NAME is required with --store and --redis: the name the service gives AddHttpClient.");
        }

        if (required && (directory ?? redis) is null)
        {
            throw new CliException(ExitCodes.UsageError, "This command needs --store DIR --client NAME (or --redis CONFIG --client NAME).");
        }

        return new StoreArguments(directory, redis, parsed.GetValue(_redisKeyPrefix)!, client);
    }
}
