namespace OfflineBearer.Tests.Support;

/// <summary>A refresh-token store that remembers every write and can be told to fail.</summary>
internal sealed class RecordingStore : IRefreshTokenStore
{
    private readonly Dictionary<string, string> _tokens = [];

    public List<string> Writes { get; } = [];

    public bool FailWrites { get; set; }

    public int Reads { get; private set; }

    public bool FailReads { get; set; }

    public string? Current(string clientName)
    {
        lock (_tokens)
        {
            return _tokens.GetValueOrDefault(clientName);
        }
    }

    public ValueTask<string?> GetAsync(string clientName, CancellationToken cancellationToken)
    {
        Reads++;
        return FailReads ? throw new InvalidOperationException("vault sealed") : new(Current(clientName));
    }

    public ValueTask SetAsync(string clientName, string refreshToken, CancellationToken cancellationToken)
    {
        if (FailWrites)
        {
            throw new IOException("disk full");
        }

        lock (_tokens)
        {
            _tokens[clientName] = refreshToken;
            Writes.Add(refreshToken);
        }

        return ValueTask.CompletedTask;
    }
}
