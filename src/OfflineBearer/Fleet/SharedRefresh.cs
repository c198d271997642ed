using Microsoft.Extensions.Logging;
using OfflineBearer.Caching;
using OfflineBearer.Diagnostics;
using OfflineBearer.Refresh;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Fleet;

/// <summary>
/// The distributed single flight of one client across the replicas that share an <see cref="ISharedTokenStore"/>. Per
/// expiry one replica takes the lease, re-reads the state, redeems the refresh token of record and writes the new state
/// with a compare-and-set before it uses the new access token; the others wait for that write and adopt it. The rules
/// behind it: the fleet presents a refresh token at most once, whatever dies when, and no call fails that
/// client_credentials could serve. So a replica redeems only the refresh token of the newest state it has read (the
/// configured one only seeds a fleet that never shared one), never one a replica may have started to redeem, never one
/// the fleet's record names as superseded; and while a lease holder is silent and this replica's token would expire
/// before the lease, a confidential client gets a token with client_credentials on its own (redeeming nothing). Runs
/// inside the holder's single flight, so one call at a time per replica.
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
    private readonly SupersededRefreshTokens _superseded = new();

    // The newest version this replica adopted or wrote: only a newer one is adopted.
    private long _version;

    // The newest refresh token this replica knows of (from the newest state it read or wrote, or its own refresh while
    // the store was down), kept in case the store loses its data or goes back to an older version.
    private long _seenVersion;
    private string? _newest;
    private bool _knowsNewest;

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

    /// <summary>
    /// How long a live lease holder may take to share its token: one attempt of its request, and at most half of this
    /// replica's own TokenRequestTimeout, so that a request of its own still fits in that time.
    /// </summary>
    private TimeSpan HolderPatience => TimeSpan.FromTicks(Math.Min(_options.TokenRequestAttemptTimeout.Ticks, _options.TokenRequestTimeout.Ticks / 2));

    /// <summary>A token from the fleet, from a refresh under the lease, or on this replica's own.</summary>
    /// <param name="validUntil">The timestamp at which the token this replica holds expires; in the past when it holds none it may send.</param>
    /// <param name="cancellationToken">The refresh's time limit.</param>
    public async Task<TokenResult> RequestAsync(long validUntil, CancellationToken cancellationToken)
    {
        long? waitingSince = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string? lease;
            try
            {
                var state = await _store.ReadAsync(_clientName, cancellationToken).ConfigureAwait(false);
                if (TryAdopt(state) is { } adopted)
                {
                    return adopted;
                }

                lease = await _store.TryAcquireLeaseAsync(_clientName, LeaseDuration, cancellationToken).ConfigureAwait(false);
                if (lease is null)
                {
                    // Another replica is refreshing: wait for its write. If it died, its lease runs out and this one takes it.
                    waitingSince ??= _time.GetTimestamp();
                    var waited = await WaitForHolderAsync(state, validUntil, waitingSince.Value, cancellationToken).ConfigureAwait(false);
                    if (waited.Adopted is { } theirs)
                    {
                        return theirs;
                    }

                    if (!waited.GoAlone)
                    {
                        continue;
                    }
                }
            }
            catch (Exception e) when (IsStoreFault(e, cancellationToken))
            {
                return await RequestWithoutStoreAsync(e, cancellationToken).ConfigureAwait(false);
            }

            if (lease is null)
            {
                return await ClientCredentialsAloneAsync(cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// One look at another replica's lease: the token it shared, or whether to go on alone. Going alone is the last
    /// resort, for a holder silent longer than a live one takes while this replica's token would expire before the lease
    /// runs out; a public client, which has nothing to go alone with, waits while its token is valid and then fails.
    /// </summary>
    private async Task<(TokenResult? Adopted, bool GoAlone)> WaitForHolderAsync(
        SharedTokenState? state, long validUntil, long waitingSince, CancellationToken cancellationToken)
    {
        if (await _store.GetLeaseTimeLeftAsync(_clientName, cancellationToken).ConfigureAwait(false) is not { } leaseLeft)
        {
            // It ran out since the attempt to take it: take it now.
            return (null, false);
        }

        var now = _time.GetTimestamp();
        var tokenLeft = TimeLeft(validUntil, now);
        var silentFor = _time.GetElapsedTime(waitingSince, now);
        if (tokenLeft <= leaseLeft)
        {
            if (!_endpoint.IsPublicClient && silentFor >= TolerableSilence(tokenLeft))
            {
                Log.LeaseHolderSilent(_logger, _clientName, silentFor.TotalSeconds, leaseLeft.TotalSeconds);
                return (null, true);
            }

            if (_endpoint.IsPublicClient && tokenLeft == TimeSpan.Zero && silentFor >= HolderPatience)
            {
                throw new OfflineBearerException(
                    $"OfflineBearer client '{_clientName}' has no valid token, and the replica of its fleet that holds the refresh lease " +
                    $"has shared no new token for {silentFor.TotalSeconds:0} s ({leaseLeft.TotalSeconds:0} s left on the lease). A public " +
                    "client has no grant but the refresh token that replica is redeeming, so it waits: it takes the lease over when the " +
                    "lease runs out. If that replica was stopped while redeeming, the refresh token may be spent: then obtain a new " +
                    "offline token, or give the client a secret so that replicas can get tokens on their own.");
            }
        }

        var newer = await _store.WaitForNewerAsync(_clientName, state?.Version ?? _version, LeaseCheckInterval, cancellationToken).ConfigureAwait(false);
        return (TryAdopt(newer), false);
    }

    /// <summary>
    /// How long a holder may stay silent before a confidential replica gets a token of its own: a live holder's patience,
    /// less when this replica's token is about to expire (the fall-back request must come back first), never under one look.
    /// </summary>
    private TimeSpan TolerableSilence(TimeSpan tokenLeft) =>
        TimeSpan.FromTicks(Math.Clamp(tokenLeft.Ticks - HolderPatience.Ticks, LeaseCheckInterval.Ticks, Math.Max(HolderPatience.Ticks, LeaseCheckInterval.Ticks)));

    private TimeSpan TimeLeft(long validUntil, long now) =>
        validUntil == long.MaxValue ? TimeSpan.MaxValue
        : validUntil <= now ? TimeSpan.Zero
        : _time.GetElapsedTime(now, validUntil);

    private async Task<TokenResult> RefreshHoldingLeaseAsync(string lease, CancellationToken cancellationToken)
    {
        // Another replica may have written between the first read and the lease.
        var state = await _store.ReadAsync(_clientName, cancellationToken).ConfigureAwait(false);
        if (TryAdopt(state) is { } adopted)
        {
            return adopted;
        }

        // TryAdopt has just taken in the state. The configured (or stored) refresh token only seeds a fleet that has
        // never shared one: once a state was read, it is the newest one this replica knows, even when that is none.
        var ofRecord = _knowsNewest ? _newest : await _initial.GetAsync(cancellationToken).ConfigureAwait(false);
        var refreshToken = ofRecord;
        if (ofRecord is not null && WhyMaybeSpent(ofRecord, state) is { } why)
        {
            if (_endpoint.IsPublicClient)
            {
                throw new OfflineBearerException(
                    $"OfflineBearer client '{_clientName}' does not redeem the fleet's refresh token: {why}, so the server may have spent " +
                    "it, and presenting it again could end the session. Obtain a new offline token.");
            }

            // A confidential client starts a new session instead.
            Log.NotRedeemingSpentRefreshToken(_logger, _clientName, why);
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
        // none after a fall-back to client_credentials that sent none. The one it replaces goes on the record of spent ones.
        var newRefreshToken = response.RefreshToken ?? (grant == GrantTypes.RefreshToken ? refreshToken : null);
        var superseded = state?.SupersededRefreshTokenHashes ?? [];
        if (ofRecord is not null && ofRecord != newRefreshToken)
        {
            superseded = SupersededRefreshTokens.With(superseded, ofRecord);
            _superseded.Add(ofRecord);
        }

        // TryAdopt has taken the state in, so the newest version seen is at least the state's and this replica's own.
        var written = new SharedTokenState(
            _seenVersion + 1,
            newRefreshToken,
            result.AccessToken,
            result.Lifetime,
            result.Lifetime is { } lifetime ? _time.GetUtcNow() + lifetime : null)
        {
            DPoPKeyThumbprint = result.DPoPBound ? _endpoint.DPoP?.Thumbprint : null,
            SupersededRefreshTokenHashes = superseded,
        };

        // Kept in memory first: if the write fails because Redis went away (and comes back empty), this is the newest
        // token there is. Only a successful write lets the access token be used.
        KnowNewest(written.Version, newRefreshToken);

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

    /// <summary>Why <paramref name="refreshToken"/> may be spent already, or null when nothing says so.</summary>
    private string? WhyMaybeSpent(string refreshToken, SharedTokenState? state) =>
        state is { RefreshTokenMayBeSpent: true }
            ? "a replica started to redeem it and never shared what it got"
            : _superseded.Contains(refreshToken, state)
                ? "the fleet's record names it as superseded by a newer one"
                : null;

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

        // The store is the record: a state as new as the newest this replica knows replaces what it knew. An older one
        // (a store that went back in time) does not.
        if (state.Version > 0 && state.Version >= _seenVersion)
        {
            KnowNewest(state.Version, state.RefreshToken);
        }

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

    /// <summary>
    /// The newest refresh token this replica knows of is <paramref name="refreshToken"/>, at <paramref name="version"/>;
    /// the one it knew before, if another, is superseded.
    /// </summary>
    private void KnowNewest(long version, string? refreshToken)
    {
        if (_newest is { } replaced && replaced != refreshToken)
        {
            _superseded.Add(replaced);
        }

        _seenVersion = Math.Max(_seenVersion, version);
        _newest = refreshToken;
        _knowsNewest = true;
    }

    private async Task<TokenResult> RequestWithoutStoreAsync(Exception cause, CancellationToken cancellationToken)
    {
        if (!_endpoint.IsPublicClient)
        {
            Log.SharedStoreUnavailable(_logger, _clientName, "getting a token with client_credentials on its own", cause);
            return await ClientCredentialsAloneAsync(cancellationToken).ConfigureAwait(false);
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
        var refreshToken = _knowsNewest ? _newest : await _initial.GetAsync(cancellationToken).ConfigureAwait(false);
        if (refreshToken is not null && _superseded.Contains(refreshToken, state: null))
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{_clientName}' does not redeem its refresh token on its own: it knows it as superseded by a " +
                "newer one, so presenting it could end the session. It tries again when the shared token store is back.");
        }

        var sent = _time.GetTimestamp();
        var (answer, grant) = await _endpoint.RedeemAsync(refreshToken, cancellationToken).ConfigureAwait(false);
        if (refreshToken is not null && answer.RefreshToken is { } rotated && rotated != refreshToken)
        {
            _superseded.Add(refreshToken);
        }

        KnowNewest(_seenVersion, answer.RefreshToken ?? refreshToken);
        return TokenResult.From(answer, grant, sent, _time);
    }

    /// <summary>
    /// A token by client_credentials for this replica alone: it redeems no refresh token, so it cannot harm the fleet's
    /// session. A refresh token in the answer is dropped (this replica holds no lease to share it under).
    /// </summary>
    private async Task<TokenResult> ClientCredentialsAloneAsync(CancellationToken cancellationToken)
    {
        var sentAt = _time.GetTimestamp();
        var response = await _endpoint.RequestAsync(refreshToken: null, cancellationToken).ConfigureAwait(false);
        return TokenResult.From(response, GrantTypes.ClientCredentials, sentAt, _time);
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
