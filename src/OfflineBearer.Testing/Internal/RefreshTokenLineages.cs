using System.Security.Cryptography;
using System.Text;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// Every refresh token a server issued or was presented, with where it came from and each presentation: the ledger's
/// record behind <see cref="TokenLedger.AssertNoRefreshTokenPresentedTwice"/>. Never cleared; a reset starts a new period.
/// Keyed by a SHA-256 fingerprint, so it never holds a refresh token itself. Thread-safe.
/// </summary>
internal sealed class RefreshTokenLineages
{
    private readonly Dictionary<string, RefreshTokenLineage> _tokens = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private int _issued;
    private int _period;

    /// <summary>Records one answered token request.</summary>
    /// <returns>Whether it presented a refresh token the server had already redeemed: a replay.</returns>
    public bool Record(AnsweredTokenRequest answered, DateTimeOffset now)
    {
        lock (_gate)
        {
            RefreshTokenLineage? parent = null;
            var replay = false;

            // A token this server never issued is refused, so it is never redeemed and never a replay: not recorded.
            if (answered.PresentedRefreshToken is { } presented && _tokens.TryGetValue(Fingerprint(presented), out parent))
            {
                // Only a redeemed token is spent: a presentation the server refused (a DPoP nonce challenge, a client
                // authentication that failed) may be sent again, and RFC 9449 says to.
                replay = parent.Redeemed;
                parent.Presentations.Add((now, answered.Error ?? RefreshTokenLineage.Accepted, _period));
            }

            if (answered.IssuedRefreshToken is { } issued)
            {
                _tokens.TryAdd(Fingerprint(issued), new RefreshTokenLineage(answered.ClientId, ++_issued, answered.GrantType, parent, now));
            }

            return replay;
        }
    }

    /// <summary>The replays whose last presentation came in the current period, described, oldest token first.</summary>
    public List<string> DescribeReplays()
    {
        lock (_gate)
        {
            // Described under the lock: a refresh still under way adds presentations.
            return [.. _tokens.Values
                .Where(token => token.PresentedAfterRedeemed && token.Presentations[^1].Period == _period)
                .OrderBy(token => token.Number)
                .Select(token => token.Describe())];
        }
    }

    /// <summary>Starts a new period: replays recorded before are no longer reported.</summary>
    public void StartPeriod()
    {
        lock (_gate)
        {
            _period++;
        }
    }

    private static string Fingerprint(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
