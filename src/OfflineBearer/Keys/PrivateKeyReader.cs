using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace OfflineBearer.Keys;

/// <summary>
/// Reads a private key from a PEM or JWK file, or takes one set in code (a <see cref="SecurityKey"/>), for whichever option
/// names it. Every error names the client, the option and the kind of problem, never key material.
/// </summary>
internal static class PrivateKeyReader
{

    public static (AsymmetricAlgorithm Key, string? KeyId) FromSecurityKey(string client, SecurityKey key)
    {
        if (key is JsonWebKey jwk)
        {
            return FromJwk(client, "SigningKey", jwk.Kty, jwk.Kid, name => name switch
            {
                "n" => jwk.N, "e" => jwk.E, "d" => jwk.D, "p" => jwk.P, "q" => jwk.Q, "dp" => jwk.DP, "dq" => jwk.DQ, "qi" => jwk.QI,
                "crv" => jwk.Crv, "x" => jwk.X, "y" => jwk.Y, _ => null,
            });
        }

        AsymmetricAlgorithm algorithm = key switch
        {
            RsaSecurityKey { Rsa: { } rsa } => rsa,
            RsaSecurityKey parameters => RSA.Create(parameters.Parameters),
            ECDsaSecurityKey { ECDsa: { } ecdsa } => ecdsa,
            X509SecurityKey x509 => (AsymmetricAlgorithm?)x509.Certificate.GetRSAPrivateKey() ?? x509.Certificate.GetECDsaPrivateKey()
                ?? throw Problem(client, "the SigningKey certificate has no RSA or EC private key (load it with its key, e.g. from a PKCS#12 file)."),
            _ => throw Problem(client, $"SigningKey must be an RSA or EC key (RsaSecurityKey, ECDsaSecurityKey, X509SecurityKey or JsonWebKey), not {key.GetType().Name}."),
        };
        EnsurePrivate(client, "SigningKey", algorithm);

        // A key made in code may carry the kid it was registered with; a certificate's own KeyId is its SHA-1 thumbprint, not a kid.
        return (algorithm, key is X509SecurityKey || string.IsNullOrEmpty(key.KeyId) ? null : key.KeyId);
    }

    /// <summary>A private key from a PEM or JWK file that the option <paramref name="option"/> names, and the JWK's kid.</summary>
    public static (AsymmetricAlgorithm Key, string? KeyId) ReadKeyFile(string client, string option, string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw Problem(client, $"{option} '{path}' cannot be read ({e.GetType().Name}).");
        }

        if (text.TrimStart().StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw Problem(client, $"{option} '{path}' is JSON but not a JWK object.");
                }

                string? Member(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                return FromJwk(client, $"{option} '{path}'", Member("kty"), Member("kid"), Member);
            }
            catch (JsonException)
            {
                throw Problem(client, $"{option} '{path}' starts like JSON but is not valid JSON.");
            }
        }

        if (text.Contains("ENCRYPTED", StringComparison.Ordinal))
        {
            throw Problem(client, $"{option} '{path}' holds an encrypted private key; give an unencrypted PKCS#8 PEM in a file only the service can read.");
        }

        if (text.Contains("PUBLIC KEY-----", StringComparison.Ordinal))
        {
            throw Problem(client, $"{option} '{path}' holds a public key; the client signs with the private key (the server gets the public one).");
        }

        if (!text.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw Problem(client, $"{option} '{path}' holds no PEM private key (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY) and no JWK.");
        }

        // PKCS#8 says which algorithm only inside; try RSA, then EC.
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(text);
            return (rsa, null);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
        }

        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportFromPem(text);
            return (ecdsa, null);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            ecdsa.Dispose();
            throw Problem(client, $"{option} '{path}' holds a PEM private key that is neither RSA nor EC (P-256, P-384, P-521), or it is damaged.");
        }
    }

    private static (AsymmetricAlgorithm Key, string? KeyId) FromJwk(
        string client, string source, string? kty, string? kid, Func<string, string?> member)
    {
        byte[]? Bytes(string name) => member(name) is { Length: > 0 } value ? Base64UrlEncoder.DecodeBytes(value) : null;

        try
        {
            AsymmetricAlgorithm key = kty switch
            {
                "RSA" => RSA.Create(new RSAParameters
                {
                    Modulus = Bytes("n"), Exponent = Bytes("e"), D = Bytes("d"), P = Bytes("p"), Q = Bytes("q"),
                    DP = Bytes("dp"), DQ = Bytes("dq"), InverseQ = Bytes("qi"),
                }),
                "EC" => ECDsa.Create(new ECParameters
                {
                    Curve = member("crv") switch
                    {
                        "P-256" => ECCurve.NamedCurves.nistP256,
                        "P-384" => ECCurve.NamedCurves.nistP384,
                        "P-521" => ECCurve.NamedCurves.nistP521,
                        var other => throw Problem(client, $"{source}: the JWK's curve '{other}' is not P-256, P-384 or P-521."),
                    },
                    Q = new ECPoint { X = Bytes("x"), Y = Bytes("y") },
                    D = Bytes("d"),
                }),
                _ => throw Problem(client, $"{source}: the JWK's kty must be RSA or EC."),
            };
            EnsurePrivate(client, source, key);
            return (key, string.IsNullOrEmpty(kid) ? null : kid);
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            throw Problem(client, $"{source}: the JWK is not a complete RSA or EC private key ({e.GetType().Name}).");
        }
    }

    /// <summary>A signature is the one test that also holds for a key that cannot be exported (a hardware key).</summary>
    private static void EnsurePrivate(string client, string source, AsymmetricAlgorithm key)
    {
        try
        {
            _ = key is RSA rsa
                ? rsa.SignData([0], HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
                : ((ECDsa)key).SignData([0], HashAlgorithmName.SHA256);
        }
        catch (CryptographicException)
        {
            throw Problem(client, $"{source} is a public key or not a usable private key; the client signs with the private key (the server gets the public one).");
        }
    }
    public static InvalidOperationException Problem(string client, string what) => new($"OfflineBearer client '{client}': {what}");
}
