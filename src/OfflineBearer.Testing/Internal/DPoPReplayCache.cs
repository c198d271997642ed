namespace OfflineBearer.Testing.Internal;

/// <summary>
/// The <c>jti</c> of every accepted DPoP proof, per <c>htu</c>, for as long as the proof's <c>iat</c> would still be
/// accepted (RFC 9449 section 11.1); after that the age check refuses a replay on its own, so the entry can go.
/// Time comes from the server's <see cref="TimeProvider"/>, so a test moves it.
/// </summary>
internal sealed class DPoPReplayCache(TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Htu, string Jti), DateTimeOffset> _seen = [];
    private DateTimeOffset _nextSweep = DateTimeOffset.MinValue;

    /// <summary>Remembers the proof unless its <c>jti</c> was already used for this <c>htu</c>.</summary>
    /// <param name="htu">The normalized target URI of the proof.</param>
    /// <param name="jti">The proof's unique identifier.</param>
    /// <param name="forgetAfter">When the proof's <c>iat</c> falls out of the accepted window.</param>
    /// <returns><see langword="false"/> for a replay.</returns>
    public bool TryRemember(string htu, string jti, DateTimeOffset forgetAfter)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (now >= _nextSweep)
            {
                Sweep_NeedsLock(now);
                _nextSweep = now + TimeSpan.FromSeconds(30);
            }

            if (_seen.TryGetValue((htu, jti), out var until) && until >= now)
            {
                return false;
            }

            _seen[(htu, jti)] = forgetAfter;
            return true;
        }
    }

    private void Sweep_NeedsLock(DateTimeOffset now)
    {
        foreach (var key in _seen.Where(entry => entry.Value < now).Select(entry => entry.Key).ToList())
        {
            _seen.Remove(key);
        }
    }
}
