using OfflineBearer.Diagnostics;
using OfflineBearer.Options;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Refresh;

/// <summary>
/// Decides which grant a client runs, for the local and the fleet source alike: with a refresh token, the refresh
/// grant; without one, client_credentials; when the server refuses the refresh token (<c>invalid_grant</c>), a
/// confidential client starts a new session with client_credentials, once, right now. A public client without a refresh
/// token has no grant to run and is told how to get one.
/// </summary>
internal sealed class Redeemer(TokenEndpointClient endpoint)
{
    private readonly ClientContext client = endpoint.Client;

    /// <summary>Whether the client has no credentials of its own, so it can only refresh.</summary>
    public bool IsPublicClient => endpoint.IsPublicClient;

    /// <summary>The endpoint the grants run at.</summary>
    public TokenEndpointClient Endpoint => endpoint;

    /// <summary>Redeems <paramref name="refreshToken"/>, or runs client_credentials without one; the result says which and why.</summary>
    public async Task<Redemption> RedeemAsync(string? refreshToken, CancellationToken cancellationToken)
    {
        if (refreshToken is not null)
        {
            try
            {
                var refreshed = await endpoint.RequestAsync(TokenGrant.Refresh(refreshToken), cancellationToken).ConfigureAwait(false);
                return new Redemption(refreshed, RedemptionKind.Refreshed);
            }
            catch (OfflineBearerException e) when (e.Error == "invalid_grant" && !IsPublicClient)
            {
                Log.FallingBackToClientCredentials(client.Logger, client.Name, e.ErrorDescription);
                return new Redemption(await ClientCredentialsAsync(cancellationToken).ConfigureAwait(false), RedemptionKind.RefreshTokenRefused);
            }
        }

        if (IsPublicClient)
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{client.Name}' is a public client (no ClientSecret) and has no refresh token: neither " +
                $"RefreshToken nor its store holds one. Get an offline token with 'offline-token login --store DIR --client {client.Name}'.");
        }

        return new Redemption(await ClientCredentialsAsync(cancellationToken).ConfigureAwait(false), RedemptionKind.ClientCredentials);
    }

    /// <summary>client_credentials, redeeming nothing: what a confidential client may always do on its own.</summary>
    public Task<TokenResponse> ClientCredentialsAsync(CancellationToken cancellationToken) =>
        endpoint.RequestAsync(TokenGrant.ClientCredentials(client.Options.Scope), cancellationToken);
}
