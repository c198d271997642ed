using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OfflineBearer.DPoP;
using OfflineBearer.Keys;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.DPoP;

/// <summary>
/// The proofs themselves: keys other than the default P-256 (their algorithm, hash and JWK), which nonce a proof
/// carries, the target URI it names, and a text that never shows the key.
/// </summary>
public sealed class DPoPProofsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("offlinebearer-dpop-proofs-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string, string> Keys => new()
    {
        { "P-384", "ES384" },
        { "P-521", "ES512" },
        { "RSA", "RS256" },
    };

    [Theory]
    [MemberData(nameof(Keys))]
    public async Task A_key_file_of_another_kind_signs_proofs_that_its_own_jwk_verifies(string kind, string algorithm)
    {
        using AsymmetricAlgorithm key = kind == "RSA" ? RSA.Create(2048) : ECDsa.Create(kind == "P-384" ? ECCurve.NamedCurves.nistP384 : ECCurve.NamedCurves.nistP521);
        var keyPath = Path.Combine(_directory, $"{kind}.pem");
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
        using var harness = new Harness(o =>
        {
            o.DPoP = true;
            o.DPoPKeyPath = keyPath;
        });
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)))
            .Replace("\"token_type\":\"Bearer\"", "\"token_type\":\"DPoP\"", StringComparison.Ordinal)));
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();

        foreach (var proof in new[] { harness.TokenRequests.Single().Headers["DPoP"], harness.ApiRequests.Single().Headers["DPoP"] })
        {
            var token = new JsonWebToken(proof);
            Assert.Equal(algorithm, token.Alg);
            Assert.True(token.TryGetHeaderValue<JsonElement>("jwk", out var jwkJson));
            var jwk = new JsonWebKey(jwkJson.GetRawText());
            if (kind != "RSA")
            {
                Assert.Equal(kind, jwk.Crv);
            }

            Assert.Equal(KeyAlgorithms.Thumbprint(key), Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint()));
            var result = await new JsonWebTokenHandler().ValidateTokenAsync(proof, new TokenValidationParameters
            {
                IssuerSigningKey = jwk,
                ValidTypes = ["dpop+jwt"],
                ValidAlgorithms = [algorithm],
                ValidateIssuer = false,
                ValidateAudience = false,
                ValidateLifetime = false,
                RequireExpirationTime = false,
            });
            Assert.True(result.IsValid, result.Exception?.Message);
        }
    }

    [Fact]
    public void A_proof_carries_the_latest_nonce_its_origin_gave_and_says_which()
    {
        var proofs = DPoPProofs.Create("gateway", new OfflineBearerOptions { DPoP = true }, new FakeTimeProvider());
        var api = new Uri("https://api.test/items?page=2");
        var other = new Uri("https://other.test/items");

        var before = proofs.Create(HttpMethod.Get, api, accessTokenHash: null);
        var kept = new[] { proofs.RememberNonce(api, (string?)null), proofs.RememberNonce(api, ""), proofs.RememberNonce(api, "n-2") };
        var afterNone = proofs.Create(HttpMethod.Get, new Uri("https://api.test/elsewhere"), accessTokenHash: null);
        var latest = proofs.RememberNonce(api, "n-1");
        var afterOlder = proofs.Create(HttpMethod.Get, api, accessTokenHash: null);
        var elsewhere = proofs.Create(HttpMethod.Get, other, accessTokenHash: null);

        Assert.Equal(new string?[] { null, null, "n-2" }, kept);
        Assert.Equal("n-1", latest);
        Assert.Equal(
            [(null, null), ("n-2", "n-2"), ("n-1", "n-1"), (null, null)],
            new[] { before, afterNone, afterOlder, elsewhere }.Select(p => (p.Nonce, NonceClaim(p.Jwt))));
    }

    [Fact]
    public void Its_text_names_the_thumbprint_and_algorithm_and_never_the_key()
    {
        var proofs = DPoPProofs.Create("gateway", new OfflineBearerOptions { DPoP = true }, new FakeTimeProvider());

        Assert.Equal($"DPoPProofs (jkt {proofs.Thumbprint}, ES256)", proofs.ToString());
    }

    [Theory]
    [InlineData("https://API.test:443/a/b?q=1#f", "https://api.test/a/b")]
    [InlineData("http://127.0.0.1:8080/x/", "http://127.0.0.1:8080/x/")]
    [InlineData("https://api.test", "https://api.test/")]
    public void The_target_uri_of_a_proof_has_no_query_or_fragment_and_no_default_port(string uri, string htu) =>
        Assert.Equal(htu, DPoPProofs.TargetOf(new Uri(uri)));

    private static string? NonceClaim(string proof) =>
        new JsonWebToken(proof).TryGetPayloadValue<string>("nonce", out var nonce) ? nonce : null;
}
