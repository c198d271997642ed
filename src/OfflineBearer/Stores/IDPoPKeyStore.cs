namespace OfflineBearer.Stores;

/// <summary>
/// A store that can also keep a client's DPoP key (RFC 9449), beside its refresh token: a server may bind the refresh token
/// to the key (it must for a public client), so a key made anew after a restart would make the token useless. Asked for
/// by what it can do, not by its type.
/// </summary>
internal interface IDPoPKeyStore
{
    /// <summary>The client's key as a PKCS#8 PEM, or null when none is kept yet.</summary>
    ValueTask<string?> GetDPoPKeyAsync(string clientName, CancellationToken cancellationToken);

    /// <summary>Keeps the client's key (a PKCS#8 PEM).</summary>
    ValueTask SetDPoPKeyAsync(string clientName, string keyPem, CancellationToken cancellationToken);
}
