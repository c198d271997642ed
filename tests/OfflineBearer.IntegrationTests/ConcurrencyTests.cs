using System.Net;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

[Collection(SharedDevServers.Name)]
public sealed class ConcurrencyTests(DevServerFixture servers)
{
    private const int Rounds = 5;
    private const int ConcurrentRequests = 300;

    [Fact]
    public async Task Hundreds_of_concurrent_requests_cost_one_token_request_per_expiry()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("inventory");
        var client = harness.CreateClient("inventory");
        var statuses = new List<HttpStatusCode>();

        for (var round = 0; round < Rounds; round++)
        {
            if (round > 0)
            {
                harness.AdvancePastExpiry();
            }

            statuses.AddRange(await FireAtOnceAsync(() => DevServerHarness.PingAsync(client)));
        }

        Assert.Equal(Rounds * ConcurrentRequests, statuses.Count);
        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(Rounds * ConcurrentRequests, harness.Ledger.ApiRequests());
        Assert.Equal(0, harness.Ledger.ApiRequests(rejected: true));
        Assert.Equal(Rounds, harness.Ledger.TokenRequests()); // (Rounds - 1) expiries + the first token
        Assert.Equal(1, harness.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Equal(0, harness.Ledger.ReusedRefreshTokens);
        Assert.Equal(0, harness.Ledger.FailedTokenRequests);
    }

    /// <summary>Starts every request on the thread pool behind one gate, so they reach the handler together.</summary>
    private static async Task<HttpStatusCode[]> FireAtOnceAsync(Func<Task<HttpStatusCode>> send)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = Enumerable.Range(0, ConcurrentRequests)
            .Select(_ => Task.Run(async () =>
            {
                await gate.Task;
                return await send();
            }))
            .ToList();

        gate.SetResult();
        return await Task.WhenAll(requests);
    }
}
