using OfflineBearer.Refresh;

namespace OfflineBearer.Caching;

/// <summary>
/// How long a client waits after a failed token request before it asks the token server again. Policy: while a valid
/// token exists, background refreshes back off (1 s doubling to 30 s, whatever the traffic); while none exists, a request
/// may ask again one second after the last failure, so the first request after an outage succeeds and the server still
/// sees about one request a second. A refusal (an OAuth error in a 4xx answer) will be repeated, so it pauses both for
/// five minutes; not a refusal of credentials read from a file or a provider, which a rotation may fix any moment. One
/// writer, the token request in flight; readers take no lock and see one immutable state.
/// </summary>
internal sealed class FailurePause
{
    internal static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    internal static readonly TimeSpan LongestBackoff = TimeSpan.FromSeconds(30);
    internal static readonly TimeSpan WithoutToken = TimeSpan.FromSeconds(1);
    internal static readonly TimeSpan AfterRefusal = TimeSpan.FromMinutes(5);

    private static readonly State Clear = new(0, long.MinValue, long.MinValue);

    private readonly TimeProvider _time;
    private volatile State _state = Clear;

    public FailurePause(TimeProvider time) => _time = time;

    /// <summary>Whether a token request may start at <paramref name="now"/>, for a client that does or does not hold a valid token.</summary>
    public bool AllowsRequest(long now, bool holdsValidToken)
    {
        var state = _state;
        return now >= (holdsValidToken ? state.WithTokenUntil : state.WithoutTokenUntil);
    }

    /// <summary>Starts the pause after <paramref name="failure"/>; returns how long it lasts with and without a valid token.</summary>
    public (TimeSpan WithToken, TimeSpan WithoutToken) Record(OfflineBearerException failure)
    {
        var failures = _state.FailuresInARow + 1;
        var (withToken, withoutToken) = IsRefusal(failure) ? (AfterRefusal, AfterRefusal) : (Backoff(failures), WithoutToken);
        var now = _time.GetTimestamp();
        _state = new State(failures, now + _time.ToTimestamp(withToken), now + _time.ToTimestamp(withoutToken));
        return (withToken, withoutToken);
    }

    public void Reset() => _state = Clear;

    /// <summary>
    /// An OAuth error in a 4xx answer will be repeated; a 5xx, 408 or 429 is trouble that passes, and so is a refusal of
    /// credentials that change on their own (a secret file mid-rotation, a platform's JWT about to be renewed).
    /// </summary>
    internal static bool IsRefusal(OfflineBearerException failure) =>
        failure.Error is not null && !failure.OfChangingCredentials && (int?)failure.StatusCode is >= 400 and < 500 and not 408 and not 429;

    private static TimeSpan Backoff(int failuresInARow) =>
        TimeSpan.FromSeconds(Math.Min(FirstBackoff.TotalSeconds * Math.Pow(2, Math.Min(failuresInARow - 1, 10)), LongestBackoff.TotalSeconds));

    private sealed record State(int FailuresInARow, long WithTokenUntil, long WithoutTokenUntil);
}
