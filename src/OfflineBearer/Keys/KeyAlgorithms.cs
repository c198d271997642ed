using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace OfflineBearer.Keys;

/// <summary>
/// What the library needs to know of an RSA or EC key whatever it signs (a client assertion, a DPoP proof): its JWK
/// thumbprint, its public JWK, and the algorithms that fit it.
/// </summary>
internal static class KeyAlgorithms
{
    /// <summary>The RFC 7638 JWK thumbprint (SHA-256, base64url) of the key's public part.</summary>
    public static string Thumbprint(AsymmetricAlgorithm key) =>
        Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(PublicJwk(key))));

    /// <summary>
    /// The key's public part as a JWK with only the required members, in lexicographic order and without white space:
    /// the canonical form RFC 7638 hashes, and a valid JWK to send (DPoP's <c>jwk</c> header).
    /// </summary>
    public static string PublicJwk(AsymmetricAlgorithm key)
    {
        if (key is RSA rsa)
        {
            var p = rsa.ExportParameters(includePrivateParameters: false);
            return $$"""{"e":"{{Base64UrlEncoder.Encode(p.Exponent)}}","kty":"RSA","n":"{{Base64UrlEncoder.Encode(p.Modulus)}}"}""";
        }

        var q = ((ECDsa)key).ExportParameters(includePrivateParameters: false);
        return $$"""{"crv":"{{CurveName(q.Curve)}}","kty":"EC","x":"{{Base64UrlEncoder.Encode(q.Q.X)}}","y":"{{Base64UrlEncoder.Encode(q.Q.Y)}}"}""";
    }



    public static string DefaultAlgorithm(AsymmetricAlgorithm key) => key switch
    {
        RSA => SecurityAlgorithms.RsaSha256,
        _ => key.KeySize switch
        {
            384 => SecurityAlgorithms.EcdsaSha384,
            521 => SecurityAlgorithms.EcdsaSha512,
            _ => SecurityAlgorithms.EcdsaSha256,
        },
    };

    public static bool Fits(string algorithm, AsymmetricAlgorithm key) => key is RSA
        ? algorithm is "RS256" or "RS384" or "RS512" or "PS256" or "PS384" or "PS512"
        : algorithm == DefaultAlgorithm(key);

    public static string Describe(AsymmetricAlgorithm key) => key is RSA ? $"RSA {key.KeySize}-bit" : $"EC {CurveName(((ECDsa)key).ExportParameters(false).Curve)}";

    public static string CurveName(ECCurve curve) => curve.Oid.Value switch
    {
        "1.2.840.10045.3.1.7" => "P-256",
        "1.3.132.0.34" => "P-384",
        "1.3.132.0.35" => "P-521",
        var other => other ?? "unknown",
    };

}
