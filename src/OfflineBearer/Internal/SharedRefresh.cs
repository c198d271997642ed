using Microsoft.Extensions.Logging;
using OfflineBearer.Diagnostics;

namespace OfflineBearer.Internal;

/// <summary>
/// The distributed single flight of one client across the replicas that share an <see cref="ISharedTokenStore"/>. Per
/// expiry one replica takes the lease, re-reads the state, redeems the refresh token of record and writes the new state
/// with a compare-and-set before it uses the new access token; the others wait for that write and adopt it. The rule
/// behind it: the fleet never redeems one refresh token twice. When the store cannot be reached, a confidential client
/// gets a token with client_credentials on its own (no refresh token is redeemed), and a public client fails unless the
/// store allows a local refresh. Runs inside the holder's single flight, so one call at a time per replica.
/// </summary>
internal sealed class SharedRefresh
{
    /// <summary>The <see cref="TokenResult.Source"/> of a token another replica got.</summary>
    public const string Adopted = "the fleet";

    /// <summary>
    /// How long a waiting replica listens for the lease holder's write before it looks at the lease again, so a holder
    /// that died delays the others by its lease's remaining time, not by a whole wait.
    /// </summary>
    internal static readonly TimeSpan LeaseCheckInterval = TimeSpan.FromSeconds(1);

    private readonly string _clientName;
    private readonly OfflineBearerOptions _options;
    private readonly ISharedTokenStore _store;
    private readonly TokenEndpointClient _endpoint;
    private readonly RefreshTokenKeeper _initial;
    private readonly double _refreshAtFraction;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ClientTelemetry _telemetry;

    // The newest state this replica has seen, and the newest refresh token, kept in memory in case the store loses its data.
    private long _version;
    private string? _refreshToken;

    public SharedRefresh(
        string clientName,
        OfflineBearerOptions options,
        ISharedTokenStore store,
        TokenEndpointClient endpoint,
        RefreshTokenKeeper initial,
        double refreshAtFraction,
        TimeProvider time,
        ILogger logger,
        ClientTelemetry telemetry)
    {
        _clientName = clientName;
        _telemetry = telemetry;
        _options = options;
        _store = store;
        _endpoint = endpoint;
        _initial = initial;
        _refreshAtFraction = refreshAtFraction;
        _time = time;
        _logger = logger;
    }

    /// <summary>Longer than a whole refresh, which the holder stops at TokenRequestTimeout, so a live holder never loses it.</summary>
    private TimeSpan LeaseDuration => _options.TokenRequestTimeout * 2;

    public async Task<TokenResult> RequestAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            SharedTokenState? state;
            string? lease;
            try
            {
                state = await _store.ReadAsync(_clientName, cancellationToken).ConfigureAwait(false);
                if (TryAdopt(state) is { } adopted)
                {
                    return adopted;
                }

                lease = await _store.TryAcquireLeaseAsync(_clientName, LeaseDuration, cancellationToken).ConfigureAwait(false);
                if (lease is null)
                {
                    // Another replica is refreshing: wait for its write. If it died, its lease runs out and this one takes it.
                    var newer = await _store.WaitForNewerAsync(_clientName, state?.Version ?? _version, LeaseCheckInterval, cancellationToken)
                        .ConfigureAwait(false);
                    if (TryAdopt(newer) is { } theirs)
                    {
                        return theirs;
                    }

                    continue;
                }
            }
            catch (Exception e) when (IsStoreFault(e, cancellationToken))
            {
                return await RequestWithoutStoreAsync(e, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                return await RefreshHoldingLeaseAsync(lease, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await ReleaseAsync(lease).ConfigureAwait(false);
            }
        }
    }

    private async Task<TokenResult> RefreshHoldingLeaseAsync(string lease, CancellationToken cancellationToken)
    {
        // Another replica may have written between the first read and the lease.
        var state = await _store.ReadAsync(_clientName, cancellationToken).ConfigureAwait(false);
        if (TryAdopt(state) is { } adopted)
        {
            return adopted;
        }

        // TryAdopt has just taken the state's refresh token, if it has one, into _refreshToken.
        var refreshToken = _refreshToken ?? await _initial.GetAsync(cancellationToken).ConfigureAwait(false);
        if (state is { RefreshTokenMayBeSpent: true })
        {
            // A replica died between redeeming the token and sharing what it got: the token may be spent, and
            // redeeming it again could end the session (reuse detection). A confidential client starts a new one.
            if (_endpoint.IsPublicClient)
            {
                throw new OfflineBearerException(
                    $"OfflineBearer client '{_clientName}': a replica started to redeem the shared refresh token and never shared " +
                    "what it got, so the token may be spent; it is not redeemed again. Obtain a new offline token.");
            }

            refreshToken = null;
        }

        var sentAt = _time.GetTimestamp();
        (TokenResponse Response, string Grant) answer;
        if (refreshToken is null)
        {
            answer = await _endpoint.RedeemAsync(null, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            if (!await _store.TryMarkRedeemingAsync(_clientName, lease, redeeming: true, cancellationToken).ConfigureAwait(false))
            {
                throw LeaseLost();
            }

            try
            {
                answer = await _endpoint.RedeemAsync(refreshToken, cancellationToken).ConfigureAwait(false);
            }
            catch (OfflineBearerException e) when (TokenEndpointResilience.NeverProcessed(e))
            {
                // The server never saw it: the token is not spent.
                await _store.TryMarkRedeemingAsync(_clientName, lease, redeeming: false, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }

        var (response, grant) = answer;
        var result = TokenResult.From(response, grant, sentAt, _time);

        // The refresh token of record: the new one, else the one redeemed (servers that do not rotate send none), and
        // none after a fall-back to client_credentials that sent none.
        var newRefreshToken = response.RefreshToken ?? (grant == GrantTypes.RefreshToken ? refreshToken : null);
        var written = new SharedTokenState(
            Math.Max(state?.Version ?? 0, _version) + 1,
            newRefreshToken,
            result.AccessToken,
            result.Lifetime,
            result.Lifetime is { } lifetime ? _time.GetUtcNow() + lifetime : null)
        {
            DPoPKeyThumbprint = result.DPoPBound ? _endpoint.DPoP?.Thumbprint : null,
        };

        // Kept in memory first: if the write fails because Redis went away (and comes back empty), this is the newest
        // token there is. Only a successful write lets the access token be used.
        _refreshToken = newRefreshToken;

        if (response.RefreshToken is not null && refreshToken is not null && response.RefreshToken != refreshToken)
        {
            _telemetry.Rotated();
        }

        // Never cancelled: the server has already spent the old refresh token; the new one must reach the fleet.
        bool shared;
        try
        {
            shared = await _store.TryWriteAsync(_clientName, lease, written, CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            _telemetry.StoreWrite(succeeded: false);
            throw;
        }

        _telemetry.StoreWrite(shared);
        if (!shared)
        {
            throw LeaseLost();
        }

        _version = written.Version;
        return result;
    }

    private OfflineBearerException LeaseLost() => new(
        $"OfflineBearer client '{_clientName}' lost its refresh lease before it could share the new token with the other " +
        "replicas, so it does not use it. The next attempt reads the newest token from the shared store.");

    /// <summary>A token another replica got, if it is newer than this replica's and not yet due for its own refresh.</summary>
    private TokenResult? TryAdopt(SharedTokenState? state)
    {
        if (state is null)
        {
            return null;
        }

        _refreshToken = state.RefreshToken ?? _refreshToken;
        if (state.Version <= _version)
        {
            return null;
        }

        // A token bound to another key (a replica with a key of its own) would be refused by the API: get one of our own.
        if (state.DPoPKeyThumbprint is { } bound && bound != _endpoint.DPoP?.Thumbprint)
        {
            return null;
        }

        var now = _time.GetTimestamp();
        var lifetime = state.AccessTokenLifetime;
        var sentAt = now;
        if (lifetime is { } whole && state.AccessTokenExpiresAt is { } expiresAt)
        {
            // Counted from when the token was got, as if this replica had asked for it then.
            var remaining = expiresAt - _time.GetUtcNow();
            var age = whole - remaining;
            // Never from the future: a writer whose clock runs ahead shares an expiry beyond the whole lifetime.
            sentAt = now - _time.ToTimestamp(TimeSpan.FromTicks(Math.Max(age.Ticks, 0)));
        }

        var schedule = TokenSnapshot.Create(state.AccessToken, lifetime, sentAt, _options.RefreshBeforeExpiry, _refreshAtFraction, _time);
        if (now >= schedule.MustRefreshAt)
        {
            return null;
        }

        _version = state.Version;
        Log.AdoptedSharedToken(_logger, _clientName, state.Version);
        return new TokenResult(state.AccessToken, lifetime, sentAt, Adopted, scope: null, refreshTokenIssued: false, dpopBound: state.DPoPKeyThumbprint is not null);
    }

    private async Task<TokenResult> RequestWithoutStoreAsync(Exception cause, CancellationToken cancellationToken)
    {
        if (!_endpoint.IsPublicClient)
        {
            // client_credentials redeems no refresh token, so a replica on its own cannot harm the fleet's session.
            Log.SharedStoreUnavailable(_logger, _clientName, "getting a token with client_credentials on its own", cause);
            var sentAt = _time.GetTimestamp();
            var response = await _endpoint.RequestAsync(refreshToken: null, cancellationToken).ConfigureAwait(false);
            return TokenResult.From(response, GrantTypes.ClientCredentials, sentAt, _time);
        }

        if (!_store.AllowLocalRefreshWhenUnavailable)
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{_clientName}' needs a new token, but the shared token store cannot be reached " +
                $"({cause.GetType().Name}). A public client does not redeem its refresh token alone, because another replica " +
                "may redeem the same one; it tries again when the store is back.",
                cause);
        }

        Log.SharedStoreUnavailable(_logger, _clientName, "refreshing on its own, as the store allows", cause);
        var refreshToken = _refreshToken ?? await _initial.GetAsync(cancellationToken).ConfigureAwait(false);
        var sent = _time.GetTimestamp();
        var (answer, grant) = await _endpoint.RedeemAsync(refreshToken, cancellationToken).ConfigureAwait(false);
        _refreshToken = answer.RefreshToken ?? _refreshToken;
        return TokenResult.From(answer, grant, sent, _time);
    }

    private async ValueTask ReleaseAsync(string lease)
    {
        try
        {
            await _store.ReleaseLeaseAsync(_clientName, lease, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (IsStoreFault(e, CancellationToken.None))
        {
            // The lease runs out on its own; the token is already shared or not, either way.
            Log.SharedStoreUnavailable(_logger, _clientName, "leaving its lease to run out", e);
        }
    }

    /// <summary>The store failed (not the token server, not the caller's cancellation).</summary>
    private static bool IsStoreFault(Exception e, CancellationToken cancellationToken) =>
        e is not OfflineBearerException && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested);
}
