using OfflineBearer.ClientAuthentication;
using OfflineBearer.Diagnostics;
using OfflineBearer.Options;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Refresh;

/// <summary>
/// Decides which grant a client runs, for the local and the fleet source alike: with a refresh token, the refresh
/// grant; without one, the client's <see cref="OfflineBearerOptions.Grant"/> (client_credentials, the platform's JWT or a
/// token exchange); when the server refuses the refresh token (<c>invalid_grant</c>), a client that can start a session
/// on its own does so, once, right now. A public client with client_credentials and no refresh token has no grant to run
/// and is told how to get one. A token exchange never refreshes: it is run anew, so the token follows its subject token.
/// </summary>
internal sealed class Redeemer
{
    private readonly TokenEndpointClient _endpoint;
    private readonly ClientContext _client;
    private readonly PlatformAssertion? _assertion;
    private readonly CredentialSource? _subjectToken;

    /// <param name="endpoint">The endpoint the grants run at.</param>
    /// <param name="upstreamToken">For a token exchange from another client (<see cref="OfflineBearerOptions.SubjectTokenClient"/>): its current access token.</param>
    public Redeemer(TokenEndpointClient endpoint, Func<CancellationToken, ValueTask<string>>? upstreamToken = null)
    {
        _endpoint = endpoint;
        _client = endpoint.Client;
        var options = _client.Options;
        if (options.Grant == OfflineBearerGrant.JwtBearer)
        {
            _assertion = ClientAuthenticator.Assertion(_client);
        }
        else if (options.Grant == OfflineBearerGrant.TokenExchange)
        {
            _subjectToken = upstreamToken is not null
                ? CredentialSource.For(_client.Name, string.Empty, null, $"the token of SubjectTokenClient '{options.SubjectTokenClient}'", upstreamToken)
                : CredentialSource.For(_client.Name, nameof(options.SubjectTokenPath), options.SubjectTokenPath, nameof(options.SubjectTokenProvider), options.SubjectTokenProvider);
        }
    }

    /// <summary>Whether the client can only refresh: a public client whose grant is client_credentials.</summary>
    public bool NeedsRefreshToken => _endpoint.IsPublicClient && _client.Options.Grant == OfflineBearerGrant.ClientCredentials;

    /// <summary>Whether a refresh token the server issues is redeemed later (not after a token exchange, which is run anew).</summary>
    public bool KeepsRefreshTokens => _client.Options.Grant != OfflineBearerGrant.TokenExchange;

    /// <summary>The endpoint the grants run at.</summary>
    public TokenEndpointClient Endpoint => _endpoint;

    /// <summary>Redeems <paramref name="refreshToken"/>, or runs the client's grant without one; the result says which and why.</summary>
    public async Task<Redemption> RedeemAsync(string? refreshToken, CancellationToken cancellationToken)
    {
        if (refreshToken is not null && KeepsRefreshTokens)
        {
            try
            {
                var refreshed = await _endpoint.RequestAsync(TokenGrant.Refresh(refreshToken), cancellationToken).ConfigureAwait(false);
                return new Redemption(refreshed, RedemptionKind.Refreshed, GrantTypes.RefreshToken);
            }
            catch (OfflineBearerException e) when (e.Error == "invalid_grant" && !NeedsRefreshToken)
            {
                Log.FallingBackToClientCredentials(_client.Logger, _client.Name, e.ErrorDescription);
                return await GrantAsync(RedemptionKind.RefreshTokenRefused, cancellationToken).ConfigureAwait(false);
            }
        }

        if (NeedsRefreshToken)
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{_client.Name}' is a public client (no ClientSecret) and has no refresh token: neither " +
                $"RefreshToken nor its store holds one. Get an offline token with 'offline-token login --store DIR --client {_client.Name}'.");
        }

        return await GrantAsync(RedemptionKind.Granted, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The client's own grant, redeeming nothing: what a client that can start a session may always do on its own.</summary>
    public Task<Redemption> GrantAsync(CancellationToken cancellationToken) => GrantAsync(RedemptionKind.Granted, cancellationToken);

    private async Task<Redemption> GrantAsync(RedemptionKind kind, CancellationToken cancellationToken)
    {
        var grant = await CreateGrantAsync(cancellationToken).ConfigureAwait(false);
        TokenResponse response;
        try
        {
            response = await _endpoint.RequestAsync(grant, cancellationToken).ConfigureAwait(false);
        }
        catch (OfflineBearerException e) when (e.Error == "invalid_grant" && _assertion is not null)
        {
            // The platform may have renewed its JWT since it was read: once more with what the file holds now.
            var now = await CreateGrantAsync(cancellationToken).ConfigureAwait(false);
            if (now.Credential == grant.Credential)
            {
                throw;
            }

            grant = now;
            response = await _endpoint.RequestAsync(grant, cancellationToken).ConfigureAwait(false);
        }

        return new Redemption(KeepsRefreshTokens ? response : response.WithoutRefreshToken(), kind, grant.Type) { NotAfter = grant.NotAfter };
    }

    private async ValueTask<TokenGrant> CreateGrantAsync(CancellationToken cancellationToken) => _client.Options.Grant switch
    {
        OfflineBearerGrant.JwtBearer => TokenGrant.JwtBearer(await _assertion!.ReadAsync(cancellationToken).ConfigureAwait(false), _client.Options.Scope),
        OfflineBearerGrant.TokenExchange => TokenGrant.TokenExchange(await _subjectToken!.ReadAsync(cancellationToken).ConfigureAwait(false), _client.Options),
        _ => TokenGrant.ClientCredentials(_client.Options.Scope),
    };
}
