namespace OfflineBearer.Testing;

/// <summary>
/// Switches of the protected API of a <see cref="TestTokenServer"/> (<see cref="TestTokenServer.ApiUrl"/>), for testing how
/// a service copes with an API that refuses its tokens. What the API received is in <see cref="TokenLedger.ApiRequests"/>.
/// DPoP nonce challenges come from <see cref="TestTokenServerOptions.RequireDPoPNonce"/> and
/// <see cref="TestTokenServer.RotateDPoPNonce"/>; certificate-bound tokens are held to their certificate always.
/// All members are thread-safe.
/// </summary>
public sealed class TestApi
{
    private int _rejectionsLeft;
    private volatile string? _requiredScope;

    internal TestApi()
    {
    }

    /// <summary>
    /// The scope every access token must carry: a valid token without it is answered 403 with
    /// <c>WWW-Authenticate: Bearer error="insufficient_scope"</c> (RFC 6750 section 3.1).
    /// </summary>
    /// <value>The default, <see langword="null"/>, requires no scope.</value>
    /// <exception cref="ArgumentException">The value is not one scope token (RFC 6749 section 3.3: printable ASCII, no space, quote or backslash).</exception>
    public string? RequiredScope
    {
        get => _requiredScope;
        set
        {
            if (value is not null && (value.Length == 0 || value.Any(c => c is <= ' ' or > '~' or '"' or '\\')))
            {
                throw new ArgumentException($"RequiredScope must be one scope token: printable ASCII without space, quote or backslash; it was '{value}'.", nameof(value));
            }

            _requiredScope = value;
        }
    }

    /// <summary>
    /// Answers the next <paramref name="count"/> API requests 401 <c>invalid_token</c> whatever token they carry, as an API
    /// whose keys or revocation list changed under it does: a 401 storm. Replaces any storm still under way.
    /// </summary>
    /// <param name="count">How many requests to refuse; zero ends a storm.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public void RejectNext(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Volatile.Write(ref _rejectionsLeft, count);
    }

    /// <summary>Turns every switch off: no storm, no required scope.</summary>
    public void Reset()
    {
        Volatile.Write(ref _rejectionsLeft, 0);
        _requiredScope = null;
    }

    /// <summary>Takes one refusal of a storm under way, if any is left.</summary>
    internal bool TryTakeRejection()
    {
        while (true)
        {
            var left = Volatile.Read(ref _rejectionsLeft);
            if (left <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _rejectionsLeft, left - 1, left) == left)
            {
                return true;
            }
        }
    }
}
