using OfflineBearer.DPoP;

namespace OfflineBearer.Refresh;

/// <summary>
/// A client on its own: the grant its <see cref="Redeemer"/> decides, and a new refresh token kept (stored) before the
/// access token that came with it is used; a refresh token the server refused for good is forgotten.
/// </summary>
internal sealed class LocalTokenSource(Redeemer redeemer, RefreshTokenKeeper refreshTokens, TimeProvider time) : ITokenSource
{
    private DPoPKeySource? Keys => redeemer.Endpoint.DPoPKeys;

    public async Task<TokenResult> GetTokenAsync(long validUntil, CancellationToken cancellationToken)
    {
        var sentAt = time.GetTimestamp();
        var refreshToken = await refreshTokens.GetAsync(cancellationToken).ConfigureAwait(false);
        var redemption = await redeemer.RedeemAsync(refreshToken, cancellationToken).ConfigureAwait(false);
        if (redemption.Kind == RedemptionKind.RefreshTokenRefused)
        {
            // The client goes on with what client_credentials gave.
            refreshTokens.Forget();
        }

        await refreshTokens.KeepAsync(redemption.Response.RefreshToken).ConfigureAwait(false);
        return TokenResult.From(redemption, sentAt, time, Keys);
    }
}
