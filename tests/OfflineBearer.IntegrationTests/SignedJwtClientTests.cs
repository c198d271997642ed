using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;
using OfflineBearer.Testing;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

/// <summary>
/// <c>private_key_jwt</c> end to end (#12): the development server's <c>jwt-client</c> has no secret, only a registered
/// public key, and OpenIddict checks each assertion's signature, issuer, audience and expiry.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class SignedJwtClientTests(DevServerFixture servers) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("offlinebearer-it-keys-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_client_with_a_key_file_gets_an_offline_token_calls_the_API_and_refreshes_with_a_new_assertion()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var keyPath = Path.Combine(_directory, "jwt-client.pem");
        await File.WriteAllTextAsync(keyPath, harness.Server.SignedJwtClientKeyPem);
        harness.AddClient("gateway", o =>
        {
            o.ClientId = TestTokenServer.SignedJwtClientId;
            o.ClientAuthentication = ClientAuthenticationMethod.PrivateKeyJwt;
            o.SigningKeyPath = keyPath;
            o.Scope = TestTokenServer.OfflineScope;
        });

        using var first = await harness.SendPingAsync("gateway");
        harness.AdvancePastExpiry();
        using var second = await harness.SendPingAsync("gateway");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((TestTokenServer.SignedJwtClientId, TestTokenServer.SignedJwtClientId), await DevServerHarness.ReadCallerAsync(second));
        Assert.Equal(1, harness.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Equal(1, harness.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(0, harness.Ledger.FailedTokenRequests);
    }

    [Fact]
    public async Task A_key_the_server_does_not_hold_is_refused_and_the_error_names_the_kid_to_register()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        harness.AddClient("gateway", o =>
        {
            o.ClientId = TestTokenServer.SignedJwtClientId;
            o.ClientAuthentication = ClientAuthenticationMethod.PrivateKeyJwt;
            o.SigningKey = new ECDsaSecurityKey(stranger);
        });

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => harness.SendPingAsync("gateway"));

        Assert.Equal("invalid_client", error.Error);
        Assert.Contains("kid ", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, harness.Ledger.FailedTokenRequests);
    }

    [Fact]
    public async Task A_server_that_registered_the_clients_own_rsa_key_accepts_it_set_in_code()
    {
        using var rsa = RSA.Create(2048);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TestTokenServer.StartAsync(new TestTokenServerOptions
        {
            TimeProvider = time,
            SignedJwtClientPublicKey = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: false))),
        });
        await using var harness = DevServerHarness.Create(new SharedDevServer(server, time, new TestTokenServerOptions().AccessTokenLifetime));
        harness.AddClient("gateway", o =>
        {
            o.ClientId = TestTokenServer.SignedJwtClientId;
            o.ClientAuthentication = ClientAuthenticationMethod.PrivateKeyJwt;
            o.SigningKey = new RsaSecurityKey(rsa);
            o.SigningAlgorithm = SecurityAlgorithms.RsaSsaPssSha256;
        });

        using var response = await harness.SendPingAsync("gateway");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(server.SignedJwtClientKeyPem);
    }
}
