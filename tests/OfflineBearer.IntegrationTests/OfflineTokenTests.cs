using System.Net;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

[Collection(SharedDevServers.Name)]
public sealed class OfflineTokenTests(DevServerFixture servers)
{
    [Fact]
    public async Task A_public_client_calls_the_API_with_an_offline_token_through_the_refresh_token_grant()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var offlineToken = await harness.GetPublicClientOfflineTokenAsync();
        harness.AddClient("device", o =>
        {
            o.ClientId = TestTokenServer.PublicClientId;
            o.ClientSecret = null;
            o.RefreshToken = offlineToken;
        });

        using var first = await harness.SendPingAsync("device");
        harness.AdvancePastExpiry();
        using var second = await harness.SendPingAsync("device");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((TestTokenServer.PublicClientId, TestTokenServer.UserName), await DevServerHarness.ReadCallerAsync(second));
        Assert.Equal(2, harness.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(0, harness.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Equal(1, harness.Ledger.TokenRequests(grant: "password")); // the out-of-band login only
        Assert.Equal(0, harness.Ledger.FailedTokenRequests);
    }

    [Fact]
    public async Task Client_credentials_with_offline_access_gets_a_refresh_token_that_the_next_expiry_uses()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("inventory", scope: "offline_access api");

        var first = await harness.PingAsync("inventory");
        var clientCredentialsBeforeExpiry = harness.Ledger.TokenRequests(grant: "client_credentials");
        harness.AdvancePastExpiry();
        var second = await harness.PingAsync("inventory");

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.Equal(HttpStatusCode.OK, second);
        Assert.Equal(1, clientCredentialsBeforeExpiry);
        Assert.Equal(1, harness.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Equal(1, harness.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(0, harness.Ledger.FailedTokenRequests);
    }

    [Fact]
    public async Task Client_credentials_without_offline_access_runs_client_credentials_again_at_each_expiry()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("inventory", scope: TestTokenServer.ApiScope);

        var first = await harness.PingAsync("inventory");
        harness.AdvancePastExpiry();
        var second = await harness.PingAsync("inventory");

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.Equal(HttpStatusCode.OK, second);
        Assert.Equal(2, harness.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Equal(0, harness.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(0, harness.Ledger.FailedTokenRequests);
    }
}
