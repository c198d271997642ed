namespace OfflineBearer.Cli;

/// <summary>Where a client's tokens are kept; both places null when the result is only printed.</summary>
internal sealed record StoreArguments(string? Directory, string? Redis, string RedisKeyPrefix, string? ClientName)
{
    public bool IsSet => Directory is not null || Redis is not null;
}
