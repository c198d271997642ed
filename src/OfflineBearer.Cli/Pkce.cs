using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace OfflineBearer.Cli;

/// <summary>RFC 7636: a one-time verifier and its S256 challenge, and the <c>state</c> that ties a redirect to this login.</summary>
internal sealed class Pkce
{
    private Pkce(string verifier, string state)
    {
        Verifier = verifier;
        Challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        State = state;
    }

    /// <summary>43 characters of base64url from 32 random bytes: the RFC's recommended length and entropy.</summary>
    public string Verifier { get; }

    public string Challenge { get; }

    public string State { get; }

    public static Pkce Create() =>
        new(Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)), Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)));

    public override string ToString() => "Pkce (verifier redacted)";
}
