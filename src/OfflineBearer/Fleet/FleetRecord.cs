using OfflineBearer.Diagnostics;
using OfflineBearer.DPoP;
using OfflineBearer.Options;
using OfflineBearer.Refresh;

namespace OfflineBearer.Fleet;

/// <summary>
/// What one replica knows of its fleet's shared state: the newest version it adopted or wrote, the newest refresh token
/// it knows of (kept in case the store loses its data or goes back to an older version) and the refresh tokens it knows
/// as superseded. Touched only by the fleet source's one call at a time.
/// </summary>
internal sealed class FleetRecord(ClientContext client, DPoPKeySource? keys)
{
    private readonly SupersededRefreshTokens _superseded = new();

    /// <summary>The newest version this replica adopted or wrote: only a newer one is adopted.</summary>
    public long Version { get; private set; }

    /// <summary>The newest version this replica has seen (read, written, or known from its own refresh while the store was down).</summary>
    public long SeenVersion { get; private set; }

    /// <summary>Whether this replica has read or written a state, so <see cref="Newest"/> is the fleet's refresh token of record.</summary>
    public bool KnowsNewest { get; private set; }

    /// <summary>The newest refresh token this replica knows of (none is a valid answer once <see cref="KnowsNewest"/>).</summary>
    public string? Newest { get; private set; }

    /// <summary>The version this replica wrote is the fleet's now.</summary>
    public void Wrote(long version) => Version = version;

    /// <summary>Records <paramref name="refreshToken"/> as superseded by a newer one, so it is never presented again.</summary>
    public void Supersede(string refreshToken) => _superseded.Add(refreshToken);

    /// <summary>Whether this replica or the fleet's record in <paramref name="state"/> names <paramref name="refreshToken"/> as superseded.</summary>
    public bool IsSuperseded(string refreshToken, SharedTokenState? state) => _superseded.Contains(refreshToken, state);

    /// <summary>
    /// The newest refresh token this replica knows of is <paramref name="refreshToken"/>, at <paramref name="version"/>;
    /// the one it knew before, if another, is superseded.
    /// </summary>
    public void KnowNewest(long version, string? refreshToken)
    {
        if (Newest is { } replaced && replaced != refreshToken)
        {
            _superseded.Add(replaced);
        }

        SeenVersion = Math.Max(SeenVersion, version);
        Newest = refreshToken;
        KnowsNewest = true;
    }

    /// <summary>A token another replica got, if it is newer than this replica's and not yet due for its own refresh.</summary>
    public TokenResult? TryAdopt(SharedTokenState? state)
    {
        if (state is null)
        {
            return null;
        }

        // The store is the record: a state as new as the newest this replica knows replaces what it knew. An older one
        // (a store that went back in time) does not.
        if (state.Version > 0 && state.Version >= SeenVersion)
        {
            KnowNewest(state.Version, state.RefreshToken);
        }

        if (state.Version <= Version)
        {
            return null;
        }

        // A token bound to another key (a replica with a key of its own) would be refused by the API: get one of our own.
        if (state.DPoPKeyThumbprint is { } bound && bound != keys?.Current?.Thumbprint)
        {
            return null;
        }

        var time = client.Time;
        var now = time.GetTimestamp();
        var lifetime = state.AccessTokenLifetime;
        var sentAt = now;
        if (lifetime is { } whole && state.AccessTokenExpiresAt is { } expiresAt)
        {
            // Counted from when the token was got, as if this replica had asked for it then.
            var remaining = expiresAt - time.GetUtcNow();
            var age = whole - remaining;
            // Never from the future: a writer whose clock runs ahead shares an expiry beyond the whole lifetime.
            sentAt = now - time.ToTimestamp(TimeSpan.FromTicks(Math.Max(age.Ticks, 0)));
        }

        var schedule = RefreshSchedule.Of(lifetime, sentAt, client.Options.RefreshBeforeExpiry, client.RefreshAtFraction, time);
        if (now >= schedule.MustRefreshAt)
        {
            return null;
        }

        Version = state.Version;
        Log.AdoptedSharedToken(client.Logger, client.Name, state.Version);
        return new TokenResult(state.AccessToken, lifetime, sentAt) { Proofs = state.DPoPKeyThumbprint is null ? null : keys?.Current };
    }
}
