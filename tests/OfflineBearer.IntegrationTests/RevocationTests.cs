using System.Net;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

[Collection(SharedDevServers.Name)]
public sealed class RevocationTests(DevServerFixture servers)
{
    [Fact]
    public async Task A_revoked_access_token_is_renewed_once_and_the_request_resent()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("inventory");
        var before = await harness.PingAsync("inventory");
        var revoked = await harness.Server.RevokeAccessTokensAsync();

        var after = await harness.PingAsync("inventory");

        Assert.Equal(HttpStatusCode.OK, before);
        Assert.Equal(1, revoked);
        Assert.Equal(HttpStatusCode.OK, after);
        Assert.Equal(3, harness.Ledger.ApiRequests());
        Assert.Equal(1, harness.Ledger.ApiRequests(rejected: true));
        Assert.Equal(1, harness.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Equal(1, harness.Ledger.TokenRequests(grant: "refresh_token"));
        var sent = harness.BearerTokensSent("inventory");
        Assert.Equal(3, sent.Count);
        Assert.Equal(sent[0], sent[1]); // the revoked one, refused
        Assert.NotEqual(sent[1], sent[2]); // the resend carried the new one
        Assert.Single(harness.Logs.GetSnapshot(), record => record.Category == "OfflineBearer" && record.Id.Id == 4);
    }

    [Fact]
    public async Task A_public_client_whose_offline_token_was_revoked_fails_with_invalid_grant_at_expiry()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        await harness.AddPublicClientAsync("device");
        var before = await harness.PingAsync("device");
        var revoked = await harness.Server.RevokeRefreshTokensAsync(TestTokenServer.PublicClientId);
        harness.AdvancePastExpiry();

        var failure = await Assert.ThrowsAsync<OfflineBearerException>(() => harness.SendPingAsync("device"));

        Assert.Equal(HttpStatusCode.OK, before);
        Assert.True(revoked > 0, "Nothing was revoked."); // the shared server may hold earlier tests' tokens too
        Assert.Equal("invalid_grant", failure.Error);
        Assert.Equal(HttpStatusCode.BadRequest, failure.StatusCode);
        Assert.Contains("'device'", failure.Message, StringComparison.Ordinal);
        Assert.Equal(2, harness.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(0, harness.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Equal(1, harness.Ledger.ApiRequests()); // no request left without a token
    }

    [Fact]
    public async Task A_confidential_client_whose_refresh_token_was_revoked_falls_back_to_client_credentials()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("inventory");
        var statuses = new List<HttpStatusCode> { await harness.PingAsync("inventory") };
        var revoked = await harness.Server.RevokeRefreshTokensAsync(TestTokenServer.BasicClientId);

        harness.AdvancePastExpiry();
        statuses.Add(await harness.PingAsync("inventory"));
        harness.AdvancePastExpiry();
        statuses.Add(await harness.PingAsync("inventory"));

        Assert.True(revoked > 0, "Nothing was revoked."); // the shared server may hold earlier tests' tokens too
        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(2, harness.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Equal(2, harness.Ledger.TokenRequests(grant: "refresh_token")); // the refused one, then one of the new grant
        Assert.Equal(1, harness.Ledger.FailedTokenRequests);
        Assert.Equal(0, harness.Ledger.ApiRequests(rejected: true));
        Assert.Single(harness.Logs.GetSnapshot(), record => record.Category == "OfflineBearer" && record.Id.Id == 3);
    }
}
