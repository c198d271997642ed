using OfflineBearer.Diagnostics;

namespace OfflineBearer.Refresh;

/// <summary>
/// The current refresh token of one client: read from the store once (it wins over the configured one, which may have
/// been rotated away since), replaced in memory the moment a new one arrives so nothing ever goes back to an older one,
/// and stored before the access token that came with it is used. A token whose storing failed is stored again before it
/// is next used. Touched only by the one token request in flight.
/// </summary>
internal sealed class RefreshTokenKeeper
{
    private readonly string _clientName;
    private readonly string? _configured;
    private readonly IRefreshTokenStore _store;
    private readonly ClientTelemetry _telemetry;
    private volatile string? _current;
    private bool _loaded;
    private bool _unsaved;

    /// <param name="clientName">The client, which names its token in the store.</param>
    /// <param name="configured">The refresh token its options name.</param>
    /// <param name="store">Where it is kept.</param>
    /// <param name="telemetry">Its metrics.</param>
    /// <param name="readStore">
    /// Whether the store's token may be this client's: not after reloaded options made it another client, whose first
    /// refresh token then replaces the old client's in the store.
    /// </param>
    public RefreshTokenKeeper(string clientName, string? configured, IRefreshTokenStore store, ClientTelemetry telemetry, bool readStore = true)
    {
        _clientName = clientName;
        _telemetry = telemetry;
        _configured = string.IsNullOrEmpty(configured) ? null : configured;
        _store = store;
        if (!readStore)
        {
            _current = _configured;
            _loaded = true;
        }
    }

    /// <summary>The token in memory; a hint for readers outside the token request (null before the first load).</summary>
    public string? Current => _current;

    /// <summary>The refresh token to use next, or null when the client has none (then it runs client_credentials).</summary>
    public async ValueTask<string?> GetAsync(CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            _current = await _store.GetAsync(_clientName, cancellationToken).ConfigureAwait(false) ?? _configured;
            _loaded = true;
        }

        if (_unsaved && _current is { } unsaved)
        {
            await StoreAsync(unsaved).ConfigureAwait(false);
        }

        return _current;
    }

    /// <summary>Keeps <paramref name="newRefreshToken"/> if the server sent one (rotation); a response without one keeps the old.</summary>
    public async ValueTask KeepAsync(string? newRefreshToken)
    {
        if (newRefreshToken is null || newRefreshToken == _current)
        {
            return;
        }

        if (_current is not null)
        {
            _telemetry.Rotated();
        }

        _current = newRefreshToken;
        _unsaved = true;
        await StoreAsync(newRefreshToken).ConfigureAwait(false);
    }

    /// <summary>The server refused the token for good; the client goes on without one.</summary>
    public void Forget() => _current = null;

    private async ValueTask StoreAsync(string refreshToken)
    {
        try
        {
            // Never cancelled: once the server has rotated the token, losing the new one (shutdown, time limit) would
            // leave only a spent one behind.
            await _store.SetAsync(_clientName, refreshToken, CancellationToken.None).ConfigureAwait(false);
            _unsaved = false;
            _telemetry.StoreWrite(succeeded: true);
        }
        catch (Exception e)
        {
            _telemetry.StoreWrite(succeeded: false);
            throw new OfflineBearerException(
                $"OfflineBearer client '{_clientName}' got a new refresh token but could not store it ({e.GetType().Name}). " +
                "It is kept in memory and stored again on the next attempt.",
                e);
        }
    }
}
