using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OfflineBearer.IntegrationTests.Support;

/// <summary>
/// A P-256 key that signs DPoP proofs by hand (RFC 9449 section 4.2), so tests drive the development server's DPoP
/// without the library: every proof gets a fresh <c>jti</c> unless a test replays one, and <c>iat</c> from the given clock.
/// </summary>
internal sealed class DPoPKey : IDisposable
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    private readonly ECDsa _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly TimeProvider _time;
    private readonly string _x;
    private readonly string _y;

    public DPoPKey(TimeProvider time)
    {
        _time = time;
        var point = _ecdsa.ExportParameters(includePrivateParameters: false).Q;
        _x = Base64UrlEncoder.Encode(point.X);
        _y = Base64UrlEncoder.Encode(point.Y);

        // RFC 7638: the required members in lexicographic order, no white space, hashed with SHA-256.
        Thumbprint = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes($$"""{"crv":"P-256","kty":"EC","x":"{{_x}}","y":"{{_y}}"}""")));
    }

    /// <summary>The RFC 7638 thumbprint of the public key, computed here by hand: what <c>cnf.jkt</c> must say.</summary>
    public string Thumbprint { get; }

    /// <summary>A proof for one request.</summary>
    /// <param name="method">The <c>htm</c>.</param>
    /// <param name="url">The <c>htu</c>, without its query and fragment.</param>
    /// <param name="accessToken">The access token whose hash goes in <c>ath</c>; none at the token endpoint.</param>
    /// <param name="nonce">The server's nonce, if it asked for one.</param>
    /// <param name="jti">A <c>jti</c> to reuse; a fresh one by default.</param>
    /// <param name="issuedAt">The <c>iat</c>; the clock's now by default.</param>
    /// <param name="ath">An <c>ath</c> to send instead of the hash of <paramref name="accessToken"/>.</param>
    /// <param name="type">The header's <c>typ</c>.</param>
    /// <param name="withPrivateKey">Puts the private <c>d</c> in the header's jwk, which a server must refuse.</param>
    /// <param name="htu">An <c>htu</c> to send as it is, instead of <paramref name="url"/>'s.</param>
    public string Proof(
        HttpMethod method,
        Uri url,
        string? accessToken = null,
        string? nonce = null,
        string? jti = null,
        DateTimeOffset? issuedAt = null,
        string? ath = null,
        string type = "dpop+jwt",
        bool withPrivateKey = false,
        string? htu = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["jti"] = jti ?? Guid.NewGuid().ToString("N"),
            ["htm"] = method.Method,
            ["htu"] = htu ?? url.GetLeftPart(UriPartial.Path),
            ["iat"] = (issuedAt ?? _time.GetUtcNow()).ToUnixTimeSeconds(),
        };
        if ((ath ?? (accessToken is null ? null : HashOf(accessToken))) is { } hash)
        {
            claims["ath"] = hash;
        }

        if (nonce is not null)
        {
            claims["nonce"] = nonce;
        }

        var jwk = new Dictionary<string, object> { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = _x, ["y"] = _y };
        if (withPrivateKey)
        {
            jwk["d"] = Base64UrlEncoder.Encode(_ecdsa.ExportParameters(includePrivateParameters: true).D);
        }

        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            TokenType = type,
            IncludeKeyIdInHeader = false,
            AdditionalHeaderClaims = new Dictionary<string, object> { ["jwk"] = jwk },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(_ecdsa), SecurityAlgorithms.EcdsaSha256),
        });
    }

    /// <summary>The <c>ath</c> of a token: base64url(SHA-256(ASCII)).</summary>
    public static string HashOf(string accessToken) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));

    public void Dispose() => _ecdsa.Dispose();
}
