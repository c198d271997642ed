using OfflineBearer.Diagnostics;
using OfflineBearer.Options;
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
internal sealed class FleetTokenSource : ITokenSource
{
    private readonly ClientContext _client;
    private readonly ISharedTokenStore _store;
    private readonly Redeemer _redeemer;
    private readonly RefreshTokenKeeper _initial;
    private readonly FleetRecord _record;
    private readonly LeaseWait _leaseWait;
    private readonly ReplicaAlone _alone;

    /// <param name="client">The client.</param>
    /// <param name="store">The fleet's store.</param>
    /// <param name="redeemer">Its grants.</param>
    /// <param name="initial">The refresh token that seeds a fleet that never shared one.</param>
    /// <param name="record">What this replica knows of the fleet's tokens, kept across reloaded options of the same client.</param>
    public FleetTokenSource(ClientContext client, ISharedTokenStore store, Redeemer redeemer, RefreshTokenKeeper initial, FleetRecord? record = null)
    {
        _client = client;
        _store = store;
        _redeemer = redeemer;
        _initial = initial;
        _record = record ?? new FleetRecord(client, redeemer.Endpoint.DPoPKeys);
        _leaseWait = new LeaseWait(client, store, _record, redeemer.NeedsRefreshToken);
        _alone = new ReplicaAlone(client, store, redeemer, initial, _record);
    }

    /// <summary>What this replica knows of the fleet's tokens.</summary>
    public FleetRecord Record => _record;

    private string ClientName => _client.Name;

    private TimeProvider Time => _client.Time;

    /// <summary>Longer than a whole refresh, which the holder stops at TokenRequestTimeout, so a live holder never loses it.</summary>
    private TimeSpan LeaseDuration => _client.Options.TokenRequestTimeout * 2;

    /// <summary>A token from the fleet, from a refresh under the lease, or on this replica's own.</summary>
    /// <param name="validUntil">The timestamp at which the token this replica holds expires; in the past when it holds none it may send.</param>
    /// <param name="cancellationToken">The refresh's time limit.</param>
    public async Task<TokenResult> GetTokenAsync(long validUntil, CancellationToken cancellationToken)
    {
        long? waitingSince = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string? lease;
            try
            {
                var state = await _store.ReadAsync(ClientName, cancellationToken).ConfigureAwait(false);
                if (_record.TryAdopt(state) is { } adopted)
                {
                    return adopted;
                }

                lease = await _store.TryAcquireLeaseAsync(ClientName, LeaseDuration, cancellationToken).ConfigureAwait(false);
                if (lease is null)
                {
                    // Another replica is refreshing: wait for its write. If it died, its lease runs out and this one takes it.
                    waitingSince ??= Time.GetTimestamp();
                    var waited = await _leaseWait.WaitForHolderAsync(state, validUntil, waitingSince.Value, cancellationToken).ConfigureAwait(false);
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
                return await _alone.WithoutStoreAsync(e, cancellationToken).ConfigureAwait(false);
            }

            if (lease is null)
            {
                return await _alone.GrantAsync(cancellationToken).ConfigureAwait(false);
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
        var state = await _store.ReadAsync(ClientName, cancellationToken).ConfigureAwait(false);
        if (_record.TryAdopt(state) is { } adopted)
        {
            return adopted;
        }

        // TryAdopt has just taken in the state. The configured (or stored) refresh token only seeds a fleet that has
        // never shared one: once a state was read, it is the newest one this replica knows, even when that is none.
        var ofRecord = _record.KnowsNewest ? _record.Newest : await _initial.GetAsync(cancellationToken).ConfigureAwait(false);
        var refreshToken = ofRecord;
        if (ofRecord is not null && WhyMaybeSpent(ofRecord, state) is { } why)
        {
            if (_redeemer.NeedsRefreshToken)
            {
                throw new OfflineBearerException(
                    $"OfflineBearer client '{ClientName}' does not redeem the fleet's refresh token: {why}, so the server may have spent " +
                    "it, and presenting it again could end the session. Obtain a new offline token.");
            }

            // A confidential client starts a new session instead.
            Log.NotRedeemingSpentRefreshToken(_client.Logger, ClientName, why);
            refreshToken = null;
        }

        var sentAt = Time.GetTimestamp();
        Redemption answer;
        if (refreshToken is null)
        {
            answer = await _redeemer.RedeemAsync(null, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            if (!await _store.TryMarkRedeemingAsync(ClientName, lease, redeeming: true, cancellationToken).ConfigureAwait(false))
            {
                throw LeaseLost();
            }

            try
            {
                answer = await _redeemer.RedeemAsync(refreshToken, cancellationToken).ConfigureAwait(false);
            }
            catch (OfflineBearerException e) when (TokenEndpointResilience.NeverProcessed(e))
            {
                // The server never saw it: the token is not spent.
                await _store.TryMarkRedeemingAsync(ClientName, lease, redeeming: false, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }

        var response = answer.Response;
        var result = TokenResult.From(answer, sentAt, Time, _redeemer.Endpoint.DPoPKeys);

        // The refresh token of record: the new one, else the one redeemed (servers that do not rotate send none), and
        // none after a fall-back to client_credentials that sent none. The one it replaces goes on the record of spent ones.
        var newRefreshToken = response.RefreshToken ?? (answer.Kind == RedemptionKind.Refreshed ? refreshToken : null);
        var superseded = state?.SupersededRefreshTokenHashes ?? [];
        if (ofRecord is not null && ofRecord != newRefreshToken)
        {
            superseded = SupersededRefreshTokens.With(superseded, ofRecord);
            _record.Supersede(ofRecord);
        }

        // TryAdopt has taken the state in, so the newest version seen is at least the state's and this replica's own.
        var written = new SharedTokenState(
            _record.SeenVersion + 1,
            newRefreshToken,
            result.AccessToken,
            result.Lifetime,
            result.Lifetime is { } lifetime ? Time.GetUtcNow() + lifetime : null)
        {
            DPoPKeyThumbprint = result.Proofs?.Thumbprint,
            SupersededRefreshTokenHashes = superseded,
        };

        // Kept in memory first: if the write fails because Redis went away (and comes back empty), this is the newest
        // token there is. Only a successful write lets the access token be used.
        _record.KnowNewest(written.Version, newRefreshToken);

        if (response.RefreshToken is not null && refreshToken is not null && response.RefreshToken != refreshToken)
        {
            _client.Telemetry.Rotated();
        }

        // Never cancelled: the server has already spent the old refresh token; the new one must reach the fleet.
        bool shared;
        try
        {
            shared = await _store.TryWriteAsync(ClientName, lease, written, CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            _client.Telemetry.StoreWrite(succeeded: false);
            throw;
        }

        _client.Telemetry.StoreWrite(shared);
        if (!shared)
        {
            throw LeaseLost();
        }

        _record.Wrote(written.Version);
        return result;
    }

    /// <summary>Why <paramref name="refreshToken"/> may be spent already, or null when nothing says so.</summary>
    private string? WhyMaybeSpent(string refreshToken, SharedTokenState? state) =>
        state is { RefreshTokenMayBeSpent: true }
            ? "a replica started to redeem it and never shared what it got"
            : _record.IsSuperseded(refreshToken, state)
                ? "the fleet's record names it as superseded by a newer one"
                : null;

    private OfflineBearerException LeaseLost() => new(
        $"OfflineBearer client '{ClientName}' lost its refresh lease before it could share the new token with the other " +
        "replicas, so it does not use it. The next attempt reads the newest token from the shared store.");

    private async ValueTask ReleaseAsync(string lease)
    {
        try
        {
            await _store.ReleaseLeaseAsync(ClientName, lease, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (IsStoreFault(e, CancellationToken.None))
        {
            // The lease runs out on its own; the token is already shared or not, either way.
            Log.SharedStoreUnavailable(_client.Logger, ClientName, "leaving its lease to run out", e);
        }
    }

    /// <summary>The store failed (not the token server, not the caller's cancellation).</summary>
    private static bool IsStoreFault(Exception e, CancellationToken cancellationToken) =>
        e is not OfflineBearerException && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested);
}
