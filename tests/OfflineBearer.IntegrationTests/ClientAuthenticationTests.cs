using System.Net;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

[Collection(SharedDevServers.Name)]
public sealed class ClientAuthenticationTests(DevServerFixture servers)
{
    [Fact]
    public async Task A_client_secret_basic_client_finds_the_token_endpoint_by_discovery_and_calls_the_API()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddClient("inventory", o =>
        {
            o.ClientId = TestTokenServer.BasicClientId;
            o.ClientSecret = TestTokenServer.BasicClientSecret;
        });

        using var response = await harness.SendPingAsync("inventory");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((TestTokenServer.BasicClientId, TestTokenServer.BasicClientId), await DevServerHarness.ReadCallerAsync(response));
        Assert.Equal(1, harness.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Equal(0, harness.Ledger.FailedTokenRequests);
    }

    [Fact]
    public async Task A_client_secret_post_client_calls_the_API()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddClient("billing", o =>
        {
            o.ClientId = TestTokenServer.PostClientId;
            o.ClientSecret = TestTokenServer.PostClientSecret;
            o.ClientAuthentication = ClientAuthenticationMethod.ClientSecretPost;
        });

        using var response = await harness.SendPingAsync("billing");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((TestTokenServer.PostClientId, TestTokenServer.PostClientId), await DevServerHarness.ReadCallerAsync(response));
        Assert.Equal(1, harness.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Equal(0, harness.Ledger.FailedTokenRequests);
    }

    [Theory]
    [InlineData(TestTokenServer.BasicClientId, TestTokenServer.BasicClientSecret, ClientAuthenticationMethod.ClientSecretPost)]
    [InlineData(TestTokenServer.PostClientId, TestTokenServer.PostClientSecret, ClientAuthenticationMethod.ClientSecretBasic)]
    public async Task A_client_configured_with_the_method_its_server_does_not_accept_fails_with_OfflineBearerException(
        string clientId, string clientSecret, ClientAuthenticationMethod method)
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddClient("inventory", o =>
        {
            o.ClientId = clientId;
            o.ClientSecret = clientSecret;
            o.ClientAuthentication = method;
        });

        var failure = await Assert.ThrowsAsync<OfflineBearerException>(() => harness.SendPingAsync("inventory"));

        Assert.Equal("invalid_client", failure.Error);
        Assert.Contains("'inventory'", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, harness.Ledger.FailedTokenRequests);
        Assert.Equal(0, harness.Ledger.ApiRequests());
    }

    [Fact]
    public async Task A_wrong_secret_fails_naming_the_client_and_is_not_asked_again_on_the_next_call()
    {
        const string WrongSecret = "not-the-basic-secret";
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddClient("inventory", o =>
        {
            o.ClientId = TestTokenServer.BasicClientId;
            o.ClientSecret = WrongSecret;
        });

        var first = await Assert.ThrowsAsync<OfflineBearerException>(() => harness.SendPingAsync("inventory"));
        var tokenRequestsAfterFirstCall = harness.Ledger.TokenRequests();
        var second = await Assert.ThrowsAsync<OfflineBearerException>(() => harness.SendPingAsync("inventory"));

        Assert.Contains("'inventory'", first.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongSecret, first.Message, StringComparison.Ordinal);
        Assert.Equal("invalid_client", first.Error);
        Assert.Equal("invalid_client", second.Error);
        Assert.Equal(1, tokenRequestsAfterFirstCall);
        Assert.Equal(1, harness.Ledger.TokenRequests());
        Assert.Equal(0, harness.Ledger.ApiRequests());
    }
}
