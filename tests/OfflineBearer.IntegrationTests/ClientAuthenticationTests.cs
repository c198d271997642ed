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
            o.ClientId = TokenServer.BasicClientId;
            o.ClientSecret = TokenServer.BasicClientSecret;
        });

        using var response = await harness.SendPingAsync("inventory");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((TokenServer.BasicClientId, TokenServer.BasicClientId), await DevServerHarness.ReadCallerAsync(response));
        Assert.Equal(1, harness.Stats.TokenRequests("client_credentials"));
        Assert.Equal(0, harness.Stats.FailedTokenRequests);
    }

    [Fact]
    public async Task A_client_secret_post_client_calls_the_API()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddClient("billing", o =>
        {
            o.ClientId = TokenServer.PostClientId;
            o.ClientSecret = TokenServer.PostClientSecret;
            o.ClientAuthentication = ClientAuthenticationMethod.ClientSecretPost;
        });

        using var response = await harness.SendPingAsync("billing");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((TokenServer.PostClientId, TokenServer.PostClientId), await DevServerHarness.ReadCallerAsync(response));
        Assert.Equal(1, harness.Stats.TokenRequests("client_credentials"));
        Assert.Equal(0, harness.Stats.FailedTokenRequests);
    }

    [Theory]
    [InlineData(TokenServer.BasicClientId, TokenServer.BasicClientSecret, ClientAuthenticationMethod.ClientSecretPost)]
    [InlineData(TokenServer.PostClientId, TokenServer.PostClientSecret, ClientAuthenticationMethod.ClientSecretBasic)]
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
        Assert.Equal(1, harness.Stats.FailedTokenRequests);
        Assert.Equal(0, harness.Stats.ApiCalls);
    }

    [Fact]
    public async Task A_wrong_secret_fails_naming_the_client_and_is_not_asked_again_on_the_next_call()
    {
        const string WrongSecret = "not-the-basic-secret";
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddClient("inventory", o =>
        {
            o.ClientId = TokenServer.BasicClientId;
            o.ClientSecret = WrongSecret;
        });

        var first = await Assert.ThrowsAsync<OfflineBearerException>(() => harness.SendPingAsync("inventory"));
        var tokenRequestsAfterFirstCall = harness.Stats.TokenRequests();
        var second = await Assert.ThrowsAsync<OfflineBearerException>(() => harness.SendPingAsync("inventory"));

        Assert.Contains("'inventory'", first.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongSecret, first.Message, StringComparison.Ordinal);
        Assert.Equal("invalid_client", first.Error);
        Assert.Equal("invalid_client", second.Error);
        Assert.Equal(1, tokenRequestsAfterFirstCall);
        Assert.Equal(1, harness.Stats.TokenRequests());
        Assert.Equal(0, harness.Stats.ApiCalls);
    }
}
