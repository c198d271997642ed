using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OfflineBearer.ClientAuthentication;
using OfflineBearer.Keys;
using OfflineBearer.Tests.Support;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tests.ClientAuthentication;

/// <summary>
/// <c>private_key_jwt</c> (#12, RFC 7523): a fresh assertion per token request, signed with the client's key, verifiable
/// with the public key the server holds; the key is read and checked at start, and nothing of it reaches a message.
/// </summary>
public sealed class PrivateKeyJwtTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("offlinebearer-keys-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Each_token_request_carries_a_fresh_assertion_that_the_public_key_verifies_and_no_secret()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var refreshToken = "";
        using var harness = new Harness(o => KeyInCode(o, new ECDsaSecurityKey(ec)));
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(
            harness.IssueJwt(TimeSpan.FromMinutes(5)), refreshToken: refreshToken = harness.IssueRefreshToken())));
        using var client = harness.CreateClient();
        var start = harness.Time.GetUtcNow().UtcDateTime;

        (await client.GetAsync("items")).Dispose();
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        (await client.GetAsync("items")).Dispose();

        var requests = harness.TokenRequests.ToArray();
        Assert.Equal([GrantTypes.ClientCredentials, GrantTypes.RefreshToken], requests.Select(r => r.GrantType));
        var jtis = new List<string>();
        foreach (var request in requests)
        {
            Assert.Null(request.Authorization);
            Assert.False(request.Form.ContainsKey("client_secret"));
            Assert.Equal(Harness.ClientId, request.Form["client_id"]);
            Assert.Equal("urn:ietf:params:oauth:client-assertion-type:jwt-bearer", request.Form["client_assertion_type"]);
            var assertion = await VerifyAsync(request.Form["client_assertion"], new ECDsaSecurityKey(ECDsa.Create(ec.ExportParameters(false))), Harness.TokenEndpoint.AbsoluteUri);
            Assert.Equal("ES256", assertion.Alg);
            Assert.Equal(KeyAlgorithms.Thumbprint(ec), assertion.Kid);
            Assert.Equal(Harness.ClientId, assertion.Subject);
            Assert.Equal(start + TimeSpan.FromMinutes(5 * jtis.Count), assertion.IssuedAt, TimeSpan.FromSeconds(1));
            Assert.Equal(TimeSpan.FromSeconds(60), assertion.ValidTo - assertion.IssuedAt);
            jtis.Add(assertion.Id);
        }

        Assert.Equal(2, jtis.Distinct().Count());
        Assert.All(jtis, jti => Assert.Equal(32, jti.Length));
    }

    [Fact]
    public async Task With_discovery_the_audience_is_the_issuer_the_server_names()
    {
        using var rsa = RSA.Create(2048);
        const string issuer = "https://sso.test/realms/prod";
        using var harness = new Harness(o =>
        {
            KeyInCode(o, new RsaSecurityKey(rsa) { KeyId = "registered-kid" });
            o.TokenEndpoint = null;
            o.Authority = issuer + "/";
        });
        harness.OnToken = request => Task.FromResult(request.Uri.AbsolutePath.EndsWith("openid-configuration", StringComparison.Ordinal)
            ? Harness.Json($$"""{"issuer":"{{issuer}}","token_endpoint":"{{Harness.TokenEndpoint}}"}""")
            : Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)))));
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();

        var grant = harness.TokenRequests.Single(r => r.GrantType is not null);
        var assertion = await VerifyAsync(grant.Form["client_assertion"], new RsaSecurityKey(rsa.ExportParameters(false)), issuer);
        // The issuer exactly as discovery names it, not Authority with its trailing slash (validation ignores that slash).
        Assert.Equal([issuer], assertion.Audiences);
        Assert.Equal("RS256", assertion.Alg);
        Assert.Equal("registered-kid", assertion.Kid);
    }

    [Fact]
    public async Task A_refused_refresh_token_falls_back_to_client_credentials_as_for_any_confidential_client()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var harness = new Harness(
            o =>
            {
                KeyInCode(o, new ECDsaSecurityKey(ec));
                o.RefreshToken = "spent-offline-token";
            },
            userDefaults: true);
        harness.OnToken = request => Task.FromResult(request.GrantType == GrantTypes.RefreshToken
            ? EndpointServer.Error("invalid_grant", "Token is not active")
            : Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)))));
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([GrantTypes.RefreshToken, GrantTypes.ClientCredentials], harness.TokenRequests.Select(r => r.GrantType));
        Assert.All(harness.TokenRequests, r => Assert.True(r.Form.ContainsKey("client_assertion")));
    }

    [Fact]
    public async Task A_refused_assertion_names_the_kid_and_algorithm_to_register_and_never_the_assertion()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var harness = new Harness(o => KeyInCode(o, new ECDsaSecurityKey(ec)), userDefaults: true);
        string? assertion = null;
        harness.OnToken = request =>
        {
            assertion = request.Form["client_assertion"];
            return Task.FromResult(EndpointServer.Error("invalid_client", $"Signature on JWT failed: {assertion}", HttpStatusCode.Unauthorized));
        };
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal("invalid_client", error.Error);
        Assert.Contains($"kid {KeyAlgorithms.Thumbprint(ec)}, ES384", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(assertion!, error.ErrorDescription, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pkcs8-rsa")]
    [InlineData("pkcs1-rsa")]
    [InlineData("pkcs8-ec")]
    [InlineData("sec1-ec")]
    public void A_pem_file_of_every_usual_kind_signs_with_the_thumbprint_as_kid(string kind)
    {
        using AsymmetricAlgorithm key = kind.EndsWith("rsa", StringComparison.Ordinal) ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = (kind, key) switch
        {
            ("pkcs1-rsa", RSA rsa) => rsa.ExportRSAPrivateKeyPem(),
            ("sec1-ec", ECDsa ecdsa) => ecdsa.ExportECPrivateKeyPem(),
            _ => key.ExportPkcs8PrivateKeyPem(),
        };
        var options = KeyFile(pem);

        var loaded = ClientSigningKey.Load("gateway", options);

        Assert.Equal(KeyAlgorithms.Thumbprint(key), loaded.KeyId);
        Assert.Equal(key is RSA ? "RS256" : "ES256", loaded.Algorithm);
        Assert.DoesNotContain("PRIVATE", loaded.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_jwk_file_signs_with_its_own_kid_and_the_chosen_algorithm()
    {
        using var rsa = RSA.Create(2048);
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(true)));
        jwk.Kid = "gateway-2026";
        var options = KeyFile(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["kty"] = "RSA", ["kid"] = jwk.Kid, ["n"] = jwk.N, ["e"] = jwk.E, ["d"] = jwk.D, ["p"] = jwk.P, ["q"] = jwk.Q,
            ["dp"] = jwk.DP, ["dq"] = jwk.DQ, ["qi"] = jwk.QI,
        }));
        options.SigningAlgorithm = "PS256";

        var loaded = ClientSigningKey.Load("gateway", options);
        var assertion = await VerifyAsync(
            loaded.CreateAssertion("gateway-client", "https://sso.test/realms/prod", DateTimeOffset.UtcNow),
            new RsaSecurityKey(rsa.ExportParameters(false)), "https://sso.test/realms/prod", issuer: "gateway-client");

        Assert.Equal("gateway-2026", assertion.Kid);
        Assert.Equal("PS256", assertion.Alg);
    }

    [Fact]
    public void The_thumbprint_is_the_one_of_rfc_7638_section_3_1()
    {
        using var rsa = RSA.Create(new RSAParameters
        {
            Modulus = Base64UrlEncoder.DecodeBytes(
                "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"),
            Exponent = Base64UrlEncoder.DecodeBytes("AQAB"),
        });

        Assert.Equal("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", KeyAlgorithms.Thumbprint(rsa));
    }

    [Fact]
    public void An_ec_thumbprint_is_the_one_any_jwk_library_computes()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ec));

        Assert.Equal(Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint()), KeyAlgorithms.Thumbprint(ec));
    }

    public static TheoryData<string, string> BadKeys => new()
    {
        { "no key", "set SigningKeyPath (a PEM or JWK file) or SigningKey" },
        { "missing file", "cannot be read (FileNotFoundException)" },
        { "public key", "holds a public key; the client signs with the private key" },
        { "encrypted", "holds an encrypted private key" },
        { "certificate", "holds no PEM private key" },
        { "damaged pem", "neither RSA nor EC" },
        { "public jwk", "is a public key or not a usable private key" },
        { "octet jwk", "the JWK's kty must be RSA or EC" },
        { "broken json", "is not valid JSON" },
        { "wrong algorithm", "SigningAlgorithm ES256 does not fit the RSA 2048-bit signing key; use RS256, RS384" },
        { "ec algorithm", "SigningAlgorithm ES256 does not fit the EC P-384 signing key; use ES384." },
        { "with secret", "ClientSecret is set and ClientAuthentication is PrivateKeyJwt" },
    };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task A_bad_key_stops_the_host_at_start_naming_the_problem_and_never_the_key(string kind, string expected)
    {
        using var rsa = RSA.Create(2048);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var secretPart = rsa.ExportPkcs8PrivateKeyPem().Split('\n')[1];
        var path = Path.Combine(_directory, "key");
        File.WriteAllText(path, kind switch
        {
            "public key" => rsa.ExportSubjectPublicKeyInfoPem(),
            "encrypted" => rsa.ExportEncryptedPkcs8PrivateKeyPem("pass", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000)),
            "certificate" => "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            "damaged pem" => "-----BEGIN PRIVATE KEY-----\n" + secretPart[..20] + "\n-----END PRIVATE KEY-----\n",
            "public jwk" => $$"""{"kty":"RSA","n":"{{Base64UrlEncoder.Encode(rsa.ExportParameters(false).Modulus)}}","e":"AQAB"}""",
            "octet jwk" => """{"kty":"oct","k":"c2VjcmV0"}""",
            "broken json" => """{"kty":"RSA",""",
            "ec algorithm" => p384.ExportPkcs8PrivateKeyPem(),
            _ => rsa.ExportPkcs8PrivateKeyPem(),
        });
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddHttpClient("gateway").AddOfflineBearerHandler(o =>
        {
            o.Authority = "https://sso.example.org/realms/prod";
            o.ClientId = "gateway-client";
            o.ClientAuthentication = ClientAuthenticationMethod.PrivateKeyJwt;
            o.SigningKeyPath = kind switch
            {
                "no key" => null,
                "missing file" => Path.Combine(_directory, "absent.pem"),
                _ => path,
            };
            o.SigningAlgorithm = kind is "wrong algorithm" or "ec algorithm" ? "ES256" : null;
            o.ClientSecret = kind == "with secret" ? "secret" : null;
        });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("OfflineBearer client 'gateway'", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secretPart[..20], error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_in_code_that_cannot_sign_is_refused_by_name()
    {
        using var rsa = RSA.Create(2048);
        var options = new OfflineBearerOptions { ClientId = "gateway-client", ClientAuthentication = ClientAuthenticationMethod.PrivateKeyJwt };

        options.SigningKey = new RsaSecurityKey(rsa.ExportParameters(false));
        Assert.Contains("SigningKey is a public key", Assert.Throws<InvalidOperationException>(() => ClientSigningKey.Load("gateway", options)).Message, StringComparison.Ordinal);

        options.SigningKey = new SymmetricSecurityKey(new byte[32]);
        Assert.Contains("not SymmetricSecurityKey", Assert.Throws<InvalidOperationException>(() => ClientSigningKey.Load("gateway", options)).Message, StringComparison.Ordinal);
    }

    private static void KeyInCode(OfflineBearerOptions options, SecurityKey key)
    {
        options.ClientSecret = null;
        options.ClientAuthentication = ClientAuthenticationMethod.PrivateKeyJwt;
        options.SigningKey = key;
    }

    private OfflineBearerOptions KeyFile(string content)
    {
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, content);
        return new OfflineBearerOptions { ClientId = "gateway-client", ClientAuthentication = ClientAuthenticationMethod.PrivateKeyJwt, SigningKeyPath = path };
    }

    private static async Task<JsonWebToken> VerifyAsync(string assertion, SecurityKey publicKey, string audience, string issuer = Harness.ClientId)
    {
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(assertion, new TokenValidationParameters
        {
            IssuerSigningKey = publicKey,
            ValidIssuer = issuer,
            ValidAudience = audience,
            ValidTypes = [ClientSigningKey.AssertionType],
            // The assertion is checked at the harness's fake time, not the machine's.
            ValidateLifetime = false,
            TryAllIssuerSigningKeys = true,
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        return (JsonWebToken)result.SecurityToken;
    }
}
