using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests.Testing;

/// <summary>
/// <see cref="TestTokenServer.ClientOptions"/> as a user calls it: one line configures a handler as a client of the
/// server; named clients are their own in the ledger; each server is its own.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class ClientOptionsTests(DevServerFixture servers)
{
    [Theory]
    [InlineData(TestTokenServer.BasicClientId)]
    [InlineData(TestTokenServer.PostClientId)]
    [InlineData(TestTokenServer.SignedJwtClientId)]
    public async Task Each_confidential_client_calls_the_api_and_refreshes_with_its_own_credential(string clientId)
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddClient("inventory", harness.Server.ClientOptions(clientId));

        Assert.Equal(HttpStatusCode.OK, await harness.PingAsync("inventory"));
        harness.AdvancePastExpiry();
        Assert.Equal(HttpStatusCode.OK, await harness.PingAsync("inventory"));

        Assert.Equal(1, harness.Ledger.TokenRequests(clientId, "client_credentials"));
        Assert.Equal(1, harness.Ledger.TokenRequests(clientId, "refresh_token"));
        Assert.Equal(0, harness.Ledger.FailedTokenRequests);
    }

    [Fact]
    public async Task The_public_client_needs_an_offline_token_and_refreshes_it()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var failure = Assert.Throws<InvalidOperationException>(() => harness.Server.ClientOptions(TestTokenServer.PublicClientId));
        Assert.Contains(nameof(TestTokenServer.GetPublicClientOfflineTokenAsync), failure.Message, StringComparison.Ordinal);

        harness.AddClient("inventory", harness.Server.ClientOptions(TestTokenServer.PublicClientId, await harness.GetPublicClientOfflineTokenAsync()));

        Assert.Equal(HttpStatusCode.OK, await harness.PingAsync("inventory"));
        Assert.Equal(1, harness.Ledger.TokenRequests(TestTokenServer.PublicClientId, "refresh_token"));
    }

    [Fact]
    public async Task A_private_key_jwt_client_whose_public_key_the_test_gave_signs_with_the_tests_key()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var publicKey = Microsoft.IdentityModel.Tokens.JsonWebKeyConverter.ConvertFromECDsaSecurityKey(
            new Microsoft.IdentityModel.Tokens.ECDsaSecurityKey(System.Security.Cryptography.ECDsa.Create(key.ExportParameters(includePrivateParameters: false))));
        await using var server = await TestTokenServer.StartAsync(o => o.SignedJwtClientPublicKey = publicKey);

        var failure = Assert.Throws<InvalidOperationException>(() => server.ClientOptions(TestTokenServer.SignedJwtClientId));
        Assert.Contains("public key you gave", failure.Message, StringComparison.Ordinal);
        Assert.Null(server.SignedJwtClientKeyPem);
    }

    [Fact]
    public void A_client_the_server_does_not_have_is_a_clear_error()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => servers.Rotating.Server.ClientOptions("svc"));
        Assert.Contains("TestTokenServerOptions.Clients", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Named_clients_get_tokens_of_their_own_on_a_server_of_their_own()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
        await using var first = await TestTokenServer.StartAsync(o =>
        {
            o.TimeProvider = time;
            o.Clients.Add("svc");
            o.Clients.Add("reports");
            o.ConfigureLogging = _ => { };
        });
        await using var second = await TestTokenServer.StartAsync(o => o.Clients.Add("svc"));

        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddHttpClient("inventory", c => c.BaseAddress = first.ApiUrl).AddOfflineBearerHandler(first.ClientOptions("svc"));
        services.AddHttpClient("reports", c => c.BaseAddress = first.ApiUrl).AddOfflineBearerHandler(first.ClientOptions("reports"));
        await using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();

        Assert.Equal(HttpStatusCode.OK, await DevServerHarness.PingAsync(factory.CreateClient("inventory")));
        Assert.Equal(HttpStatusCode.OK, await DevServerHarness.PingAsync(factory.CreateClient("reports")));

        Assert.NotEqual(first.Authority, second.Authority);
        Assert.Equal(1, first.Ledger.TokenRequests("svc"));
        Assert.Equal(1, first.Ledger.TokenRequests("reports"));
        Assert.Equal(0, second.Ledger.TokenRequests());
        Assert.Equal(TestTokenServer.SecretOf("svc"), ReadOptions(first.ClientOptions("svc")).ClientSecret);
    }

    [Fact]
    public void Secrets_are_the_registered_ones_and_clients_without_one_say_so()
    {
        Assert.Equal(TestTokenServer.BasicClientSecret, TestTokenServer.SecretOf(TestTokenServer.BasicClientId));
        Assert.Equal(TestTokenServer.PostClientSecret, TestTokenServer.SecretOf(TestTokenServer.PostClientId));
        Assert.Equal("svc-secret", TestTokenServer.SecretOf("svc"));
        Assert.Contains("has no secret", Assert.Throws<ArgumentException>(() => TestTokenServer.SecretOf(TestTokenServer.PublicClientId)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => TestTokenServer.SecretOf(" "));
        Assert.Throws<ArgumentNullException>(() => servers.Rotating.Server.ClientOptions(null!));
        Assert.Throws<ArgumentNullException>(() => servers.Rotating.Server.ClientOptions(TestTokenServer.BasicClientId)(null!));
        Assert.Null(ReadOptions(servers.Rotating.Server.ClientOptions(TestTokenServer.BasicClientId)).SigningKey);
        Assert.NotNull(ReadOptions(servers.Rotating.Server.ClientOptions(TestTokenServer.SignedJwtClientId)).SigningKey);
        Assert.Throws<ArgumentException>(() => TestTokenServer.SecretOf(TestTokenServer.SignedJwtClientId));
        Assert.Equal(TestTokenServer.BasicClientSecret, ReadOptions(servers.Rotating.Server.ClientOptions(TestTokenServer.BasicClientId)).ClientSecret);
        Assert.Equal(ClientAuthenticationMethod.ClientSecretPost, ReadOptions(servers.Rotating.Server.ClientOptions(TestTokenServer.PostClientId)).ClientAuthentication);
        Assert.Equal(TestTokenServer.OfflineScope, ReadOptions(servers.Rotating.Server.ClientOptions(TestTokenServer.PostClientId)).Scope);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(TestTokenServer.BasicClientId)]
    public async Task Clients_that_are_empty_or_clash_with_a_fixed_client_are_refused_at_start(string clientId)
    {
        var failure = await Assert.ThrowsAsync<ArgumentException>(() => TestTokenServer.StartAsync(o => o.Clients.Add(clientId)));
        Assert.Contains("Clients must be distinct", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_named_twice_is_refused_at_start()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => TestTokenServer.StartAsync(o =>
        {
            o.Clients.Add("svc");
            o.Clients.Add("svc");
        }));
    }

    private static OfflineBearerOptions ReadOptions(Action<OfflineBearerOptions> configure)
    {
        var options = new OfflineBearerOptions();
        configure(options);
        return options;
    }
}
