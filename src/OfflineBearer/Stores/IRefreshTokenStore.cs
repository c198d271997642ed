namespace OfflineBearer;

/// <summary>
/// Where the current refresh token of each named client lives, so that an offline token survives restarts. The
/// library reads it once, before its first token request (a stored token wins over
/// <see cref="OfflineBearerOptions.RefreshToken"/>), and writes every new refresh token before it uses the access token
/// that came with it. In memory by default; <c>AddOfflineBearerFileStore</c> keeps it in files.
/// </summary>
/// <remarks>Implementations must be thread-safe; calls for one client never overlap.</remarks>
public interface IRefreshTokenStore
{
    /// <summary>The stored refresh token of <paramref name="clientName"/>, or null when there is none.</summary>
    /// <param name="clientName">The name of the HttpClient.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The refresh token, or null.</returns>
    ValueTask<string?> GetAsync(string clientName, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="refreshToken"/> as the current one of <paramref name="clientName"/>, durably when the store is durable.</summary>
    /// <param name="clientName">The name of the HttpClient.</param>
    /// <param name="refreshToken">The new refresh token.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the token is stored.</returns>
    ValueTask SetAsync(string clientName, string refreshToken, CancellationToken cancellationToken);
}
