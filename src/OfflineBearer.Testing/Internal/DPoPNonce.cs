using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// The one DPoP nonce (RFC 9449 section 8 and 9) the token endpoint and the API hand out: they share an origin, so a
/// client keeps one nonce for both. It changes when <see cref="Rotate"/> is called and, with a rotation interval, at
/// every interval since the server started on its clock, so a test that moves a fake clock decides when a client's nonce
/// goes stale. Only the current nonce is accepted.
/// </summary>
internal sealed class DPoPNonce
{
    private readonly TimeProvider _time;
    private readonly TimeSpan? _rotationInterval;
    private readonly DateTimeOffset _start;
    private readonly Lock _gate = new();
    private string _current = NewValue();
    private long _period;

    /// <param name="required">Whether proofs must carry the nonce (<see cref="TestTokenServerOptions.RequireDPoPNonce"/>).</param>
    /// <param name="time">The server's clock.</param>
    /// <param name="rotationInterval">How often the nonce changes by itself (<see cref="TestTokenServerOptions.DPoPNonceRotationInterval"/>).</param>
    public DPoPNonce(bool required, TimeProvider time, TimeSpan? rotationInterval = null)
    {
        Required = required;
        _time = time;
        _rotationInterval = rotationInterval;
        _start = time.GetUtcNow();
    }

    /// <summary>Whether proofs must carry <see cref="Current"/> (<see cref="TestTokenServerOptions.RequireDPoPNonce"/>).</summary>
    public bool Required { get; }

    public string Current
    {
        get
        {
            if (_rotationInterval is not { } interval)
            {
                return Volatile.Read(ref _current);
            }

            // Read when asked rather than by a timer: the clock may be a fake one that jumps, and nothing runs between checks.
            lock (_gate)
            {
                var period = (_time.GetUtcNow() - _start).Ticks / interval.Ticks;
                if (period != _period)
                {
                    _period = period;
                    _current = NewValue();
                }

                return _current;
            }
        }
    }

    public bool IsCurrent(string? nonce) => nonce is not null && string.Equals(nonce, Current, StringComparison.Ordinal);

    public void Rotate()
    {
        lock (_gate)
        {
            Volatile.Write(ref _current, NewValue());
        }
    }

    private static string NewValue() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
}
