using OfflineBearer.Diagnostics;
using OfflineBearer.Options;
using OfflineBearer.Refresh;

namespace OfflineBearer.Fleet;

/// <summary>
/// A replica waiting on another's refresh lease: it listens for the holder's write one look at a time, and decides when
/// a silent holder has been silent too long for this replica's own token (a confidential client then gets a token on
/// its own; a public client, which has nothing to go alone with, fails once it has no valid token).
/// </summary>
internal sealed class LeaseWait(ClientContext client, ISharedTokenStore store, FleetRecord record, bool isPublicClient)
{
    /// <summary>
    /// How long a waiting replica listens for the lease holder's write before it looks at the lease again, so a holder
    /// that died delays the others by its lease's remaining time, not by a whole wait.
    /// </summary>
    internal static readonly TimeSpan LeaseCheckInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a live lease holder may take to share its token: one attempt of its request, and at most half of this
    /// replica's own TokenRequestTimeout, so that a request of its own still fits in that time.
    /// </summary>
    private TimeSpan HolderPatience => TimeSpan.FromTicks(Math.Min(client.Options.TokenRequestAttemptTimeout.Ticks, client.Options.TokenRequestTimeout.Ticks / 2));

    /// <summary>
    /// One look at another replica's lease: the token it shared, or whether to go on alone. Going alone is the last
    /// resort, for a holder silent longer than a live one takes while this replica's token would expire before the lease
    /// runs out; a public client, which has nothing to go alone with, waits while its token is valid and then fails.
    /// </summary>
    public async Task<(TokenResult? Adopted, bool GoAlone)> WaitForHolderAsync(
        SharedTokenState? state, long validUntil, long waitingSince, CancellationToken cancellationToken)
    {
        if (await store.GetLeaseTimeLeftAsync(client.Name, cancellationToken).ConfigureAwait(false) is not { } leaseLeft)
        {
            // It ran out since the attempt to take it: take it now.
            return (null, false);
        }

        var now = client.Time.GetTimestamp();
        var tokenLeft = TimeLeft(validUntil, now);
        var silentFor = client.Time.GetElapsedTime(waitingSince, now);
        if (tokenLeft <= leaseLeft)
        {
            if (!isPublicClient && silentFor >= TolerableSilence(tokenLeft))
            {
                Log.LeaseHolderSilent(client.Logger, client.Name, silentFor.TotalSeconds, leaseLeft.TotalSeconds);
                return (null, true);
            }

            if (isPublicClient && tokenLeft == TimeSpan.Zero && silentFor >= HolderPatience)
            {
                throw new OfflineBearerException(
                    $"OfflineBearer client '{client.Name}' has no valid token, and the replica of its fleet that holds the refresh lease " +
                    $"has shared no new token for {silentFor.TotalSeconds:0} s ({leaseLeft.TotalSeconds:0} s left on the lease). A public " +
                    "client has no grant but the refresh token that replica is redeeming, so it waits: it takes the lease over when the " +
                    "lease runs out. If that replica was stopped while redeeming, the refresh token may be spent: then obtain a new " +
                    "offline token, or give the client a secret so that replicas can get tokens on their own.");
            }
        }

        var newer = await store.WaitForNewerAsync(client.Name, state?.Version ?? record.Version, LeaseCheckInterval, cancellationToken).ConfigureAwait(false);
        return (record.TryAdopt(newer), false);
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
        : client.Time.GetElapsedTime(now, validUntil);
}
