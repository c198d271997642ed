namespace OfflineBearer.Cli;

/// <summary>Where a client's tokens are kept; both places null when the result is only printed.</summary>
internal sealed record StoreArguments(string? Directory, string? Redis, string RedisKeyPrefix, string? ClientName)
{
    /// <summary>What login or get remembered for the client in the file store, if anything.</summary>
    public Task<ClientSettings?> RememberedAsync(CancellationToken cancellationToken) =>
        Directory is null || ClientName is null ? Task.FromResult<ClientSettings?>(null) : ClientSettings.ReadAsync(Directory, ClientName, cancellationToken);
}
