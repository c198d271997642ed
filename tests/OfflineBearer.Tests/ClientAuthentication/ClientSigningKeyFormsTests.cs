using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OfflineBearer.ClientAuthentication;
using OfflineBearer.Keys;

namespace OfflineBearer.Tests.ClientAuthentication;

/// <summary>
/// The key forms mutation testing found untested (#12): a JWK set in code, an EC JWK file, certificates with and
/// without their key, a key object's own kid, and the RSA algorithms beyond RS256.
/// </summary>
public sealed class ClientSigningKeyFormsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("offlinebearer-key-forms-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_jwk_set_in_code_signs_with_its_kid()
    {
        using var rsa = RSA.Create(2048);
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: true)));
        jwk.Kid = "in-code";

        var key = ClientSigningKey.Load("gateway", Keyed(o => o.SigningKey = jwk));

        Assert.Equal("in-code", key.KeyId);
        await VerifyAsync(key, new RsaSecurityKey(rsa.ExportParameters(false)));
    }

    [Theory]
    [InlineData("P-256", "ES256")]
    [InlineData("P-384", "ES384")]
    [InlineData("P-521", "ES512")]
    public async Task An_ec_jwk_file_without_a_kid_signs_with_its_curves_algorithm_and_thumbprint(string curve, string algorithm)
    {
        using var ec = ECDsa.Create(curve switch
        {
            "P-384" => ECCurve.NamedCurves.nistP384,
            "P-521" => ECCurve.NamedCurves.nistP521,
            _ => ECCurve.NamedCurves.nistP256,
        });
        var p = ec.ExportParameters(includePrivateParameters: true);
        var path = Path.Combine(_directory, "ec.jwk");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["kty"] = "EC", ["crv"] = curve, ["kid"] = "", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y),
            ["d"] = Base64UrlEncoder.Encode(p.D),
        }));

        var key = ClientSigningKey.Load("gateway", Keyed(o => o.SigningKeyPath = path));

        Assert.Equal(algorithm, key.Algorithm);
        Assert.Equal(KeyAlgorithms.Thumbprint(ec), key.KeyId);
        await VerifyAsync(key, new ECDsaSecurityKey(ECDsa.Create(ec.ExportParameters(false))));
    }

    [Fact]
    public async Task A_certificate_with_its_key_signs_with_the_thumbprint_of_its_public_key_not_its_sha1()
    {
        using var rsa = RSA.Create(2048);
        using var certificate = new CertificateRequest("CN=gateway", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        var key = ClientSigningKey.Load("gateway", Keyed(o => o.SigningKey = new X509SecurityKey(certificate)));

        Assert.Equal(KeyAlgorithms.Thumbprint(rsa), key.KeyId);
        await VerifyAsync(key, new RsaSecurityKey(rsa.ExportParameters(false)));
    }

    [Fact]
    public void A_certificate_without_its_key_is_refused_by_name()
    {
        using var rsa = RSA.Create(2048);
        using var withKey = new CertificateRequest("CN=gateway", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var publicOnly = X509CertificateLoader.LoadCertificate(withKey.Export(X509ContentType.Cert));

        var error = Assert.Throws<InvalidOperationException>(() => ClientSigningKey.Load("gateway", Keyed(o => o.SigningKey = new X509SecurityKey(publicOnly))));

        Assert.Contains("the SigningKey certificate has no RSA or EC private key", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("registered", "registered")]
    [InlineData("", null)]
    public void A_key_objects_own_kid_is_used_and_an_empty_one_gives_the_thumbprint(string keyId, string? expected)
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var key = ClientSigningKey.Load("gateway", Keyed(o => o.SigningKey = new ECDsaSecurityKey(ec) { KeyId = keyId }));

        Assert.Equal(expected ?? KeyAlgorithms.Thumbprint(ec), key.KeyId);
    }

    [Theory]
    [InlineData("RS384")]
    [InlineData("RS512")]
    [InlineData("PS384")]
    [InlineData("PS512")]
    public async Task Every_rsa_algorithm_asked_for_signs_verifiably(string algorithm)
    {
        using var rsa = RSA.Create(2048);

        var key = ClientSigningKey.Load("gateway", Keyed(o =>
        {
            o.SigningKey = new RsaSecurityKey(rsa);
            o.SigningAlgorithm = algorithm;
        }));

        Assert.Equal(algorithm, key.Algorithm);
        Assert.Equal(algorithm, (await VerifyAsync(key, new RsaSecurityKey(rsa.ExportParameters(false)))).Alg);
    }

    private static OfflineBearerOptions Keyed(Action<OfflineBearerOptions> configure)
    {
        var options = new OfflineBearerOptions { ClientId = "gateway-client", ClientAuthentication = ClientAuthenticationMethod.PrivateKeyJwt };
        configure(options);
        return options;
    }

    private static async Task<JsonWebToken> VerifyAsync(ClientSigningKey key, SecurityKey publicKey)
    {
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(
            key.CreateAssertion("gateway-client", "https://sso.test/realms/prod", DateTimeOffset.UtcNow),
            new TokenValidationParameters
            {
                IssuerSigningKey = publicKey,
                ValidIssuer = "gateway-client",
                ValidAudience = "https://sso.test/realms/prod",
                ValidTypes = [ClientSigningKey.AssertionType],
                TryAllIssuerSigningKeys = true,
            });
        Assert.True(result.IsValid, result.Exception?.Message);
        return (JsonWebToken)result.SecurityToken;
    }
}
