using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.IntegrationTests.Support;
using Xunit.Abstractions;

namespace OfflineBearer.IntegrationTests;

/// <summary>
/// Thousands of requests at high concurrency across many token lifetimes of the real server, with a token-server
/// outage in the middle. Bounded: 40 rounds of 100 concurrent requests, one fake second apart.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class SoakTests(DevServerFixture servers, ITestOutputHelper output)
{
    private const int Rounds = 40;
    private const int ConcurrentRequests = 100;
    private const int OutageFrom = 12;
    private const int OutageUntil = 20;

    [Fact]
    public async Task Thousands_of_requests_through_rotations_and_an_outage_lose_none_while_a_valid_token_exists()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var outage = new TokenServerOutage(harness.Time);

        // Retries would wait on the fake clock, which moves only between rounds; the holder's own backoff still runs.
        harness.AddClient("inventory", o =>
        {
            o.ClientId = TestTokenServer.BasicClientId;
            o.ClientSecret = TestTokenServer.BasicClientSecret;
            o.Scope = TestTokenServer.OfflineScope;
            o.TokenRequestRetries = 0;
        });
        harness.TokenEndpointClient("inventory").AddHttpMessageHandler(() => outage);
        var client = harness.CreateClient("inventory");
        var start = harness.Time.GetUtcNow();
        var lost = new List<(DateTimeOffset At, int Count)>();

        for (var round = 0; round < Rounds; round++)
        {
            outage.Down = round is >= OutageFrom and < OutageUntil;
            var outcomes = await Task.WhenAll(Enumerable.Range(0, ConcurrentRequests).Select(_ => Task.Run(() => SendAsync(client))));
            var failed = outcomes.Count(ok => !ok);
            if (failed > 0)
            {
                lost.Add((harness.Time.GetUtcNow(), failed));
            }

            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var lifetime = servers.Rotating.AccessTokenLifetime - TimeSpan.FromSeconds(1); // exp - iat, less the margin
        var issued = outage.Issued;
        output.WriteLine(
            $"{Rounds * ConcurrentRequests} requests, {lost.Sum(loss => loss.Count)} failed at " +
            $"[{string.Join(", ", lost.Select(loss => $"+{(loss.At - start).TotalSeconds:0}s"))}], {issued.Count} tokens issued, " +
            $"API calls {harness.Ledger.ApiRequests()}, rejected {harness.Ledger.ApiRequests(rejected: true)}");
        Assert.All(lost, loss =>
        {
            var lastToken = issued.Last(at => at <= loss.At);
            Assert.True(loss.At >= lastToken + lifetime, $"{loss.Count} requests failed at +{loss.At - start} while the token of +{lastToken - start} was valid");
        });
        Assert.NotEmpty(lost); // the outage outlasted a token, so the fail-fast path ran too
        Assert.True(lost.Max(loss => loss.At) < start + TimeSpan.FromSeconds(OutageUntil + 16), "calls did not recover after the outage");
        Assert.Equal(0, harness.Ledger.ApiRequests(rejected: true));
        Assert.Equal(0, harness.Ledger.ReusedRefreshTokens);
        Assert.Equal(0, harness.Ledger.FailedTokenRequests);
        var seconds = Rounds - (OutageUntil - OutageFrom);
        Assert.InRange(issued.Count, seconds / 9, (seconds / 4) + 2); // one token per half lifetime while the server is up
        Assert.Equal(Rounds * ConcurrentRequests - lost.Sum(loss => loss.Count), harness.Ledger.ApiRequests());
    }

    private static async Task<bool> SendAsync(HttpClient client)
    {
        try
        {
            return await DevServerHarness.PingAsync(client) == HttpStatusCode.OK;
        }
        catch (OfflineBearerException)
        {
            return false;
        }
    }
}
