using OfflineBearer.Options;
using OfflineBearer.Stores;

namespace OfflineBearer.DPoP;

/// <summary>
/// Owns a client's DPoP key (RFC 9449) and the proofs it signs: the key file of <see cref="OfflineBearerOptions.DPoPKeyPath"/>
/// (read at once), else the key a store keeps beside the refresh token (<see cref="IDPoPKeyStore"/>, read or made at the
/// first token request, since file access belongs on the async path), else one made for the life of the process. The
/// endpoint client signs token requests with it; a token bound to it carries it to the handler.
/// </summary>
internal sealed class DPoPKeySource
{
    private readonly ClientContext _client;
    private readonly IDPoPKeyStore? _store;
    private readonly Lock _gate = new();
    private volatile DPoPProofs? _proofs;
    private Task<DPoPProofs>? _load;

    private DPoPKeySource(ClientContext client, IDPoPKeyStore? store)
    {
        _client = client;
        _store = store;
        if (store is null)
        {
            _proofs = DPoPProofs.Create(client.Name, client.Options, client.Time);
        }
    }

    /// <summary>The key once known: from the start, or from the first token request when a store keeps it.</summary>
    public DPoPProofs? Current => _proofs;

    /// <summary>The key source of a client with <see cref="OfflineBearerOptions.DPoP"/> on, else null.</summary>
    public static DPoPKeySource? For(ClientContext client, IRefreshTokenStore? store) =>
        !client.Options.DPoP ? null
        : string.IsNullOrWhiteSpace(client.Options.DPoPKeyPath) && store is IDPoPKeyStore keeps ? new DPoPKeySource(client, keeps)
        : new DPoPKeySource(client, null);

    /// <summary>The key, read from the store (or made and stored) once for concurrent first requests; a failed read is tried again next time.</summary>
    public ValueTask<DPoPProofs> GetAsync(CancellationToken cancellationToken)
    {
        if (_proofs is { } proofs)
        {
            return new ValueTask<DPoPProofs>(proofs);
        }

        lock (_gate)
        {
            if (_load is null || _load.IsFaulted || _load.IsCanceled)
            {
                _load = LoadAsync(cancellationToken);
            }

            return new ValueTask<DPoPProofs>(_load);
        }
    }

    private async Task<DPoPProofs> LoadAsync(CancellationToken cancellationToken) =>
        _proofs = await DPoPProofs.KeptInAsync(_client.Name, _store!, _client.Time, cancellationToken).ConfigureAwait(false);
}
