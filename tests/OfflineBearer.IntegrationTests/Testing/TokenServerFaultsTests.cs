using System.Net;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests.Testing;

/// <summary>
/// The kit's faults, met by a handler with the defaults a user gets (retries, timeouts, refresh point): the clock the
/// faults run on is the one the handler waits on, moved by <see cref="TestTokenServer.AdvanceUntilDoneAsync"/>.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class TokenServerFaultsTests(DevServerFixture servers)
{
    [Theory]
    [InlineData(OutageKind.ServiceUnavailable)]
    [InlineData(OutageKind.ConnectionReset)]
    [InlineData(OutageKind.Hang)]
    public async Task An_outage_fails_no_call_while_the_token_is_valid_then_the_typed_error_after_expiry_then_recovers(OutageKind kind)
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("inventory");
        var client = harness.CreateClient("inventory");
        Assert.Equal(HttpStatusCode.OK, await DevServerHarness.PingAsync(client));
        var server = harness.Server;

        server.Faults.Outage(TimeSpan.FromMinutes(1), kind);
        harness.Time.Advance(TimeSpan.FromSeconds(7)); // past the refresh point of a 10 s token, before its expiry
        var duringOutage = await server.AdvanceUntilDoneAsync(harness.Time.Advance, DevServerHarness.PingAsync(client));
        Assert.Equal(HttpStatusCode.OK, duringOutage);

        harness.AdvancePastExpiry();
        await Assert.ThrowsAsync<OfflineBearerException>(() => server.AdvanceUntilDoneAsync(harness.Time.Advance, DevServerHarness.PingAsync(client)));
        Assert.Equal(1, harness.Ledger.TokenRequests(TestTokenServer.BasicClientId));
        if (kind != OutageKind.Hang)
        {
            Assert.True(harness.Ledger.FaultedRequests > 0);
        }

        harness.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, await server.AdvanceUntilDoneAsync(harness.Time.Advance, DevServerHarness.PingAsync(client)));
        Assert.Equal(2, harness.Ledger.TokenRequests(TestTokenServer.BasicClientId, "client_credentials") + harness.Ledger.TokenRequests(TestTokenServer.BasicClientId, "refresh_token"));
        Assert.Equal(0, harness.Ledger.FailedTokenRequests);
        harness.Ledger.AssertNoRefreshTokenPresentedTwice();
    }

    [Fact]
    public async Task Planned_429s_with_Retry_After_are_waited_out_on_the_fake_clock_and_the_call_succeeds()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("inventory");
        var client = harness.CreateClient("inventory");
        var start = harness.Time.GetUtcNow();

        harness.Server.Faults.Next(3).Respond(HttpStatusCode.TooManyRequests, retryAfter: TimeSpan.FromSeconds(2));
        var status = await harness.Server.AdvanceUntilDoneAsync(harness.Time.Advance, DevServerHarness.PingAsync(client));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(3, harness.Ledger.FaultedRequests);
        Assert.Equal(1, harness.Ledger.TokenRequests(TestTokenServer.BasicClientId, "client_credentials"));
        Assert.True(harness.Time.GetUtcNow() - start >= TimeSpan.FromSeconds(6), $"only {harness.Time.GetUtcNow() - start} passed");
    }

    [Fact]
    public async Task Planned_connection_resets_are_retried()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("inventory");
        var client = harness.CreateClient("inventory");

        harness.Server.Faults.Next(2).ResetConnection();
        var status = await harness.Server.AdvanceUntilDoneAsync(harness.Time.Advance, DevServerHarness.PingAsync(client));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, harness.Ledger.FaultedRequests);
        Assert.Equal(1, harness.Ledger.TokenRequests());
    }

    [Fact]
    public async Task Latency_holds_each_answer_until_the_fake_clock_moves_past_it()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("inventory");
        var client = harness.CreateClient("inventory");
        var start = harness.Time.GetUtcNow();

        harness.Server.Faults.Latency(TimeSpan.FromMilliseconds(800));
        var status = await harness.Server.AdvanceUntilDoneAsync(harness.Time.Advance, DevServerHarness.PingAsync(client));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, harness.Ledger.FaultedRequests);
        Assert.True(harness.Time.GetUtcNow() - start >= TimeSpan.FromMilliseconds(800), $"only {harness.Time.GetUtcNow() - start} passed");
    }

    [Fact]
    public async Task Clear_ends_an_outage_and_the_planned_answers()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("inventory");
        harness.Server.Faults.Outage(TimeSpan.FromHours(1));
        harness.Server.Faults.Next(5).Respond(HttpStatusCode.BadGateway);
        harness.Server.Faults.Latency(TimeSpan.FromHours(1));

        harness.Server.Faults.Clear();

        Assert.Equal(HttpStatusCode.OK, await harness.PingAsync("inventory"));
        Assert.Equal(0, harness.Ledger.FaultedRequests);
    }

    [Fact]
    public void Negative_durations_and_counts_are_refused()
    {
        var faults = servers.Rotating.Server.Faults;
        Assert.Throws<ArgumentOutOfRangeException>(() => faults.Outage(TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => faults.Latency(TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => faults.Next(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => servers.Rotating.Server.Api.RejectNext(-1));
    }
}
