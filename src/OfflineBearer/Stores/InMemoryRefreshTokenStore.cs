using System.Collections.Concurrent;

namespace OfflineBearer.Stores;

/// <summary>The default store: the refresh token lives as long as the process.</summary>
internal sealed class InMemoryRefreshTokenStore : IRefreshTokenStore, IProcessLifetimeStore
{
    private readonly ConcurrentDictionary<string, string> _tokens = new(StringComparer.Ordinal);

    public ValueTask<string?> GetAsync(string clientName, CancellationToken cancellationToken) =>
        new(_tokens.GetValueOrDefault(clientName));

    public ValueTask SetAsync(string clientName, string refreshToken, CancellationToken cancellationToken)
    {
        _tokens[clientName] = refreshToken;
        return ValueTask.CompletedTask;
    }
}
