using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OfflineBearer.Testing.Internal;

/// <summary>Server-side revocation, as an administrator would do it in the store.</summary>
internal sealed class TokenRevoker(IServiceScopeFactory scopes, TimeProvider time)
{
    public async Task<int> RevokeAccessTokensAsync(CancellationToken cancellationToken)
    {
        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();

            // Materialized first: revoking while the query still streams would share one connection between them.
            var candidates = await tokens
                .FindAsync(subject: null, client: null, Statuses.Valid, TokenTypeIdentifiers.AccessToken, cancellationToken)
                .ToListAsync(cancellationToken)
                .ConfigureAwait(false);

            var now = time.GetUtcNow();
            var revoked = 0;
            foreach (var token in candidates)
            {
                if (await tokens.GetExpirationDateAsync(token, cancellationToken).ConfigureAwait(false) is { } expires && expires <= now)
                {
                    continue; // already dead: not "currently valid"
                }

                if (await tokens.TryRevokeAsync(token, cancellationToken).ConfigureAwait(false))
                {
                    revoked++;
                }
            }

            return revoked;
        }
    }

    public async Task<int> RevokeRefreshTokensAsync(string clientId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);

        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
            var authorizations = scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>();
            var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();

            var application = await applications.FindByClientIdAsync(clientId, cancellationToken).ConfigureAwait(false)
                ?? throw new ArgumentException($"No client '{clientId}' is registered.", nameof(clientId));
            var applicationId = await applications.GetIdAsync(application, cancellationToken).ConfigureAwait(false);

            // The grants go too, so nothing issued under them can be refreshed again.
            await authorizations.RevokeByApplicationIdAsync(applicationId!, cancellationToken).ConfigureAwait(false);
            var revoked = await tokens.RevokeAsync(
                subject: null, client: applicationId, Statuses.Valid, TokenTypeIdentifiers.RefreshToken, cancellationToken).ConfigureAwait(false);

            return checked((int)revoked);
        }
    }
}
