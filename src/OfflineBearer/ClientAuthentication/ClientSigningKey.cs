using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OfflineBearer.ClientAuthentication;

/// <summary>
/// The private key a client signs with (<c>private_key_jwt</c>, RFC 7523), read once from <see cref="OfflineBearerOptions.SigningKey"/>
/// or <see cref="OfflineBearerOptions.SigningKeyPath"/> (PEM: PKCS#8, PKCS#1 RSA or SEC1 EC; or a JWK JSON file), with the
/// <c>kid</c> a server's registered JWKS carries (the JWK's own, else the RFC 7638 thumbprint) and the algorithm. Every
/// error names the option and the kind of problem, never key material.
/// </summary>
internal sealed class ClientSigningKey
{
    /// <summary>How long a client assertion is good for: long enough for one token request, short against replay.</summary>
    internal static readonly TimeSpan AssertionLifetime = TimeSpan.FromSeconds(60);

    /// <summary>The draft successor of RFC 7523 names this type; OpenIddict requires it, Keycloak does not look at it.</summary>
    internal const string AssertionType = "client-authentication+jwt";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    private readonly SigningCredentials _credentials;

    private ClientSigningKey(AsymmetricAlgorithm key, string keyId, string algorithm)
    {
        SecurityKey securityKey = key is RSA rsa ? new RsaSecurityKey(rsa) : new ECDsaSecurityKey((ECDsa)key);
        securityKey.KeyId = keyId;
        _credentials = new SigningCredentials(securityKey, algorithm);
        KeyId = keyId;
        Algorithm = algorithm;
    }

    /// <summary>The <c>kid</c> header of every assertion.</summary>
    public string KeyId { get; }

    /// <summary>RS256, PS256, ES256, ...: the <c>alg</c> header of every assertion.</summary>
    public string Algorithm { get; }

    /// <summary>Reads the key the options name; throws <see cref="InvalidOperationException"/> saying what is wrong.</summary>
    public static ClientSigningKey Load(string client, OfflineBearerOptions options)
    {
        var (key, keyId) = options.SigningKey is { } inCode
            ? FromSecurityKey(client, inCode)
            : !string.IsNullOrWhiteSpace(options.SigningKeyPath)
                ? ReadKeyFile(client, nameof(OfflineBearerOptions.SigningKeyPath), options.SigningKeyPath)
                : throw Problem(client, "ClientAuthentication is PrivateKeyJwt: set SigningKeyPath (a PEM or JWK file) or SigningKey.");
        var algorithm = options.SigningAlgorithm is { Length: > 0 } wanted ? wanted : DefaultAlgorithm(key);
        if (!Fits(algorithm, key))
        {
            throw Problem(client, $"SigningAlgorithm {algorithm} does not fit the {Describe(key)} signing key; use {DefaultAlgorithm(key)}" +
                (key is RSA ? ", RS384, RS512, PS256, PS384 or PS512." : "."));
        }

        return new ClientSigningKey(key, keyId ?? Thumbprint(key), algorithm);
    }

    /// <summary>A fresh assertion for one token request: <c>iss</c> = <c>sub</c> = the client id, a unique <c>jti</c>.</summary>
    public string CreateAssertion(string clientId, string audience, DateTimeOffset now) =>
        Handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = AssertionType,
            Issuer = clientId,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            Expires = (now + AssertionLifetime).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = clientId,
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
            },
            SigningCredentials = _credentials,
        });

    /// <summary>The RFC 7638 JWK thumbprint (SHA-256, base64url) of the key's public part.</summary>
    internal static string Thumbprint(AsymmetricAlgorithm key) =>
        Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(PublicJwk(key))));

    /// <summary>
    /// The key's public part as a JWK with only the required members, in lexicographic order and without white space:
    /// the canonical form RFC 7638 hashes, and a valid JWK to send (DPoP's <c>jwk</c> header).
    /// </summary>
    internal static string PublicJwk(AsymmetricAlgorithm key)
    {
        if (key is RSA rsa)
        {
            var p = rsa.ExportParameters(includePrivateParameters: false);
            return $$"""{"e":"{{Base64UrlEncoder.Encode(p.Exponent)}}","kty":"RSA","n":"{{Base64UrlEncoder.Encode(p.Modulus)}}"}""";
        }

        var q = ((ECDsa)key).ExportParameters(includePrivateParameters: false);
        return $$"""{"crv":"{{CurveName(q.Curve)}}","kty":"EC","x":"{{Base64UrlEncoder.Encode(q.Q.X)}}","y":"{{Base64UrlEncoder.Encode(q.Q.Y)}}"}""";
    }

    /// <summary>Never prints the key.</summary>
    public override string ToString() => $"ClientSigningKey (kid {KeyId}, {Algorithm})";

    private static (AsymmetricAlgorithm Key, string? KeyId) FromSecurityKey(string client, SecurityKey key)
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
    internal static (AsymmetricAlgorithm Key, string? KeyId) ReadKeyFile(string client, string option, string path)
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

    internal static string DefaultAlgorithm(AsymmetricAlgorithm key) => key switch
    {
        RSA => SecurityAlgorithms.RsaSha256,
        _ => key.KeySize switch
        {
            384 => SecurityAlgorithms.EcdsaSha384,
            521 => SecurityAlgorithms.EcdsaSha512,
            _ => SecurityAlgorithms.EcdsaSha256,
        },
    };

    private static bool Fits(string algorithm, AsymmetricAlgorithm key) => key is RSA
        ? algorithm is "RS256" or "RS384" or "RS512" or "PS256" or "PS384" or "PS512"
        : algorithm == DefaultAlgorithm(key);

    private static string Describe(AsymmetricAlgorithm key) => key is RSA ? $"RSA {key.KeySize}-bit" : $"EC {CurveName(((ECDsa)key).ExportParameters(false).Curve)}";

    private static string CurveName(ECCurve curve) => curve.Oid.Value switch
    {
        "1.2.840.10045.3.1.7" => "P-256",
        "1.3.132.0.34" => "P-384",
        "1.3.132.0.35" => "P-521",
        var other => other ?? "unknown",
    };

    private static InvalidOperationException Problem(string client, string what) => new($"OfflineBearer client '{client}': {what}");
}
