using OfflineBearer.Diagnostics;
using OfflineBearer.Options;
using OfflineBearer.Refresh;

namespace OfflineBearer.Fleet;

/// <summary>
/// A replica that gets a token without its fleet: with client_credentials alone (a confidential client, while the
/// store is down or a lease holder is silent), or with its own refresh token while the store is down, when the store
/// allows it; never with a refresh token it knows as superseded.
/// </summary>
internal sealed class ReplicaAlone(ClientContext client, ISharedTokenStore store, Redeemer redeemer, RefreshTokenKeeper initial, FleetRecord record)
{
    public async Task<TokenResult> WithoutStoreAsync(Exception cause, CancellationToken cancellationToken)
    {
        if (!redeemer.NeedsRefreshToken)
        {
            Log.SharedStoreUnavailable(client.Logger, client.Name, "getting a token with its own grant, alone", cause);
            return await GrantAsync(cancellationToken).ConfigureAwait(false);
        }

        if (!store.AllowLocalRefreshWhenUnavailable)
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{client.Name}' needs a new token, but the shared token store cannot be reached " +
                $"({cause.GetType().Name}). A public client does not redeem its refresh token alone, because another replica " +
                "may redeem the same one; it tries again when the store is back.",
                cause);
        }

        Log.SharedStoreUnavailable(client.Logger, client.Name, "refreshing on its own, as the store allows", cause);
        var refreshToken = record.KnowsNewest ? record.Newest : await initial.GetAsync(cancellationToken).ConfigureAwait(false);
        if (refreshToken is not null && record.IsSuperseded(refreshToken, state: null))
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{client.Name}' does not redeem its refresh token on its own: it knows it as superseded by a " +
                "newer one, so presenting it could end the session. It tries again when the shared token store is back.");
        }

        var sent = client.Time.GetTimestamp();
        var redemption = await redeemer.RedeemAsync(refreshToken, cancellationToken).ConfigureAwait(false);
        var answer = redemption.Response;
        if (refreshToken is not null && answer.RefreshToken is { } rotated && rotated != refreshToken)
        {
            record.Supersede(refreshToken);
        }

        record.KnowNewest(record.SeenVersion, answer.RefreshToken ?? refreshToken);
        return TokenResult.From(redemption, sent, client.Time, redeemer.Endpoint.DPoPKeys);
    }

    /// <summary>
    /// A token by the client's own grant (client_credentials, the platform's JWT, a token exchange) for this replica
    /// alone: it redeems no refresh token, so it cannot harm the fleet's session. A refresh token in the answer is dropped
    /// (this replica holds no lease to share it under).
    /// </summary>
    public async Task<TokenResult> GrantAsync(CancellationToken cancellationToken)
    {
        var sentAt = client.Time.GetTimestamp();
        var redemption = await redeemer.GrantAsync(cancellationToken).ConfigureAwait(false);
        return TokenResult.From(redemption, sentAt, client.Time, redeemer.Endpoint.DPoPKeys);
    }
}
