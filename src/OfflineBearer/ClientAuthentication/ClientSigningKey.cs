using System.Security.Cryptography;

using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

using OfflineBearer.Keys;

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
            ? PrivateKeyReader.FromSecurityKey(client, inCode)
            : !string.IsNullOrWhiteSpace(options.SigningKeyPath)
                ? PrivateKeyReader.ReadKeyFile(client, nameof(OfflineBearerOptions.SigningKeyPath), options.SigningKeyPath)
                : throw PrivateKeyReader.Problem(client, "ClientAuthentication is PrivateKeyJwt: set SigningKeyPath (a PEM or JWK file) or SigningKey.");
        var algorithm = options.SigningAlgorithm is { Length: > 0 } wanted ? wanted : KeyAlgorithms.DefaultAlgorithm(key);
        if (!KeyAlgorithms.Fits(algorithm, key))
        {
            throw PrivateKeyReader.Problem(client, $"SigningAlgorithm {algorithm} does not fit the {KeyAlgorithms.Describe(key)} signing key; use {KeyAlgorithms.DefaultAlgorithm(key)}" +
                (key is RSA ? ", RS384, RS512, PS256, PS384 or PS512." : "."));
        }

        return new ClientSigningKey(key, keyId ?? KeyAlgorithms.Thumbprint(key), algorithm);
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

    /// <summary>Never prints the key.</summary>
    public override string ToString() => $"ClientSigningKey (kid {KeyId}, {Algorithm})";
}
