using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace OfflineBearer.DevServer.Internal;

/// <summary>
/// The one DPoP nonce (RFC 9449 section 8 and 9) the token endpoint and the API hand out: they share an origin, so a
/// client keeps one nonce for both. It changes only when <see cref="Rotate"/> is called, so a test decides when a
/// client's nonce goes stale.
/// </summary>
internal sealed class DPoPNonce(bool required)
{
    private string _current = NewValue();

    /// <summary>Whether proofs must carry <see cref="Current"/> (<see cref="DevServerOptions.RequireDPoPNonce"/>).</summary>
    public bool Required { get; } = required;

    public string Current => Volatile.Read(ref _current);

    public bool IsCurrent(string? nonce) => nonce is not null && string.Equals(nonce, Current, StringComparison.Ordinal);

    public void Rotate() => Volatile.Write(ref _current, NewValue());

    private static string NewValue() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
}
