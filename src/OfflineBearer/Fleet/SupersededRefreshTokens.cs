using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace OfflineBearer.Fleet;

/// <summary>
/// The last guard of a fleet against presenting a spent refresh token: the refresh tokens a client's shared state moved
/// away from, as hashes (base64url SHA-256, never the token), newest first and at most <see cref="Kept"/>. The shared
/// state carries the fleet's list; each replica keeps its own too, for a store that lost its data or went back in time.
/// Touched only by the one token request in flight.
/// </summary>
internal sealed class SupersededRefreshTokens
{
    /// <summary>Enough for every rotation of a long outage of the store, small enough to ride along in every write.</summary>
    internal const int Kept = 16;

    private IReadOnlyList<string> _hashes = [];

    public static string HashOf(string refreshToken) => Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(refreshToken)));

    /// <summary><paramref name="hashes"/> with <paramref name="refreshToken"/>'s hash first, at most <see cref="Kept"/>.</summary>
    public static IReadOnlyList<string> With(IReadOnlyList<string> hashes, string refreshToken)
    {
        var hash = HashOf(refreshToken);
        return [hash, .. hashes.Where(kept => kept != hash).Take(Kept - 1)];
    }

    /// <summary>Remembers that <paramref name="refreshToken"/> was replaced.</summary>
    public void Add(string refreshToken) => _hashes = With(_hashes, refreshToken);

    /// <summary>Whether this replica or <paramref name="state"/> knows <paramref name="refreshToken"/> as replaced.</summary>
    public bool Contains(string refreshToken, SharedTokenState? state)
    {
        var hash = HashOf(refreshToken);
        return _hashes.Contains(hash) || (state?.SupersededRefreshTokenHashes.Contains(hash) ?? false);
    }
}
