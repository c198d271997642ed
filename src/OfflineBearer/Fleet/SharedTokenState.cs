namespace OfflineBearer;

/// <summary>
/// One version of the token state that the replicas of a client share: the refresh token of record and the newest
/// access token with its expiry. Immutable; <see cref="ToString"/> never shows a token.
/// </summary>
public sealed class SharedTokenState
{
    /// <summary>Creates a state.</summary>
    /// <param name="version">Grows by one with every write; a write of an older or equal version is refused.</param>
    /// <param name="refreshToken">The refresh token of record, or null when the client has none.</param>
    /// <param name="accessToken">The newest access token.</param>
    /// <param name="accessTokenLifetime">Its whole lifetime, or null when unknown.</param>
    /// <param name="accessTokenExpiresAt">When it expires, or null when unknown.</param>
    /// <param name="refreshTokenMayBeSpent">Whether a replica started to redeem the refresh token and never wrote what came of it.</param>
    public SharedTokenState(
        long version,
        string? refreshToken,
        string accessToken,
        TimeSpan? accessTokenLifetime,
        DateTimeOffset? accessTokenExpiresAt,
        bool refreshTokenMayBeSpent = false)
    {
        ArgumentNullException.ThrowIfNull(accessToken);
        Version = version;
        RefreshToken = refreshToken;
        AccessToken = accessToken;
        AccessTokenLifetime = accessTokenLifetime;
        AccessTokenExpiresAt = accessTokenExpiresAt;
        RefreshTokenMayBeSpent = refreshTokenMayBeSpent;
    }

    /// <summary>Grows by one with every write.</summary>
    public long Version { get; }

    /// <summary>The refresh token of record, or null when the client has none.</summary>
    public string? RefreshToken { get; }

    /// <summary>The newest access token.</summary>
    public string AccessToken { get; }

    /// <summary>The access token's whole lifetime, or null when unknown.</summary>
    public TimeSpan? AccessTokenLifetime { get; }

    /// <summary>When the access token expires, or null when unknown.</summary>
    public DateTimeOffset? AccessTokenExpiresAt { get; }

    /// <summary>
    /// Whether a replica started to redeem <see cref="RefreshToken"/> and never wrote what came of it (it died, or its
    /// request may have reached the server): redeeming it again could trip reuse detection, so no replica does.
    /// </summary>
    public bool RefreshTokenMayBeSpent { get; }

    /// <summary>
    /// The RFC 7638 thumbprint of the DPoP key the access token is bound to (its <c>cnf.jkt</c>), or null for a bearer
    /// token. A replica adopts a bound token only when it signs with the same key.
    /// </summary>
    public string? DPoPKeyThumbprint { get; init; }

    /// <summary>
    /// The refresh tokens this state's line has replaced, newest first and at most a few dozen, each as the base64url
    /// SHA-256 of the token (never the token). A replica refuses to present any of them: the server has spent them, and
    /// presenting one again can end the session (reuse detection).
    /// </summary>
    public IReadOnlyList<string> SupersededRefreshTokenHashes { get; init; } = [];

    /// <summary>The version only; never a token.</summary>
    /// <returns>A description without tokens.</returns>
    public override string ToString() => $"SharedTokenState version {Version} (tokens redacted)";
}
