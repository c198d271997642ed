using System.Net;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

[Collection(SharedDevServers.Name)]
public sealed class RotationTests(DevServerFixture servers)
{
    private const int Expiries = 20;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Every_expiry_is_refreshed_with_the_newest_refresh_token_so_reuse_detection_never_fires(bool rotate)
    {
        await using var harness = DevServerHarness.Create(rotate ? servers.Rotating : servers.NonRotating);
        harness.AddBasicClient("inventory");
        var statuses = new List<HttpStatusCode>();

        statuses.Add(await harness.PingAsync("inventory"));
        for (var expiry = 0; expiry < Expiries; expiry++)
        {
            harness.AdvancePastExpiry();
            statuses.Add(await harness.PingAsync("inventory"));
        }

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(0, harness.Ledger.ReusedRefreshTokens);
        Assert.Equal(0, harness.Ledger.FailedTokenRequests);
        Assert.Equal(0, harness.Ledger.ApiRequests(rejected: true));
        Assert.Equal(1, harness.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Equal(Expiries, harness.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(Expiries + 1, harness.BearerTokensSent("inventory").Distinct().Count());
    }
}
