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
    public async Task Each_outage_kind_fails_a_request_its_own_way_until_the_outage_ends()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var server = harness.Server;
        using var http = new HttpClient();

        server.Faults.Outage(TimeSpan.FromSeconds(30));
        using (var unavailable = await http.GetAsync(server.DiscoveryEndpoint))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
            Assert.Null(unavailable.Headers.RetryAfter);
        }

        server.Faults.Outage(TimeSpan.FromSeconds(30), OutageKind.ConnectionReset);
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(server.DiscoveryEndpoint));
        Assert.Equal(2, harness.Ledger.FaultedRequests);

        server.Faults.Outage(TimeSpan.FromSeconds(30), OutageKind.Hang);
        var hung = http.GetAsync(server.DiscoveryEndpoint);
        await WaitUntilAsync(() => harness.Ledger.FaultedRequests == 3); // a hung request counts when it is taken
        harness.Time.Advance(TimeSpan.FromSeconds(30) - TimeSpan.FromMilliseconds(1));
        await Task.Delay(50); // real time: the hung request must not be answered by a clock short of the outage's end
        Assert.False(hung.IsCompleted);
        harness.Time.Advance(TimeSpan.FromMilliseconds(1));
        using (var answered = await hung)
        {
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
            Assert.Contains("\"issuer\"", await answered.Content.ReadAsStringAsync(), StringComparison.Ordinal); // the endpoint answered
        }

        Assert.Equal(3, harness.Ledger.FaultedRequests);
        using var after = await http.GetAsync(server.DiscoveryEndpoint);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(3, harness.Ledger.FaultedRequests);
    }

    [Fact]
    public async Task Clear_releases_a_request_a_hang_holds_and_an_outage_outranks_the_planned_answers()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var server = harness.Server;
        using var http = new HttpClient();

        server.Faults.Next(1).Respond(HttpStatusCode.BadGateway);
        server.Faults.Outage(Timeout.InfiniteTimeSpan, OutageKind.Hang);
        harness.Time.Advance(TimeSpan.FromDays(30)); // an infinite outage has no end to reach
        var hung = http.GetAsync(server.DiscoveryEndpoint);
        await WaitUntilAsync(() => harness.Ledger.FaultedRequests == 1);
        harness.Time.Advance(TimeSpan.FromDays(30));
        await Task.Delay(50);
        Assert.False(hung.IsCompleted);

        server.Faults.Clear();

        using var released = await hung;
        Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        using var next = await http.GetAsync(server.DiscoveryEndpoint);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode); // Clear dropped the planned 502 as well

        server.Faults.Latency(TimeSpan.FromHours(1));
        var slow = http.GetAsync(server.DiscoveryEndpoint);
        await WaitUntilAsync(() => server.Faults.HeldRequests == 1);
        server.Faults.Clear();
        using var releasedFromLatency = await slow;
        Assert.Equal(HttpStatusCode.OK, releasedFromLatency.StatusCode);
        Assert.Contains("\"issuer\"", await releasedFromLatency.Content.ReadAsStringAsync(), StringComparison.Ordinal); // the endpoint answered

        // A new outage releases what the one it replaces held.
        server.Faults.Outage(Timeout.InfiniteTimeSpan, OutageKind.Hang);
        var hungAgain = http.GetAsync(server.DiscoveryEndpoint);
        await WaitUntilAsync(() => server.Faults.HeldRequests == 1);
        server.Faults.Outage(TimeSpan.FromSeconds(30));
        using var releasedByOutage = await hungAgain;
        Assert.Equal(HttpStatusCode.OK, releasedByOutage.StatusCode);
        server.Faults.Clear();
    }

    [Fact]
    public async Task An_outage_outranks_the_planned_answers_which_wait_for_its_end_and_a_latency_comes_first()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var server = harness.Server;
        using var http = new HttpClient();

        server.Faults.Next(1).Respond(HttpStatusCode.BadGateway);
        server.Faults.Outage(TimeSpan.FromSeconds(30));
        using (var during = await http.GetAsync(server.DiscoveryEndpoint))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        }

        harness.Time.Advance(TimeSpan.FromSeconds(30));
        using (var planned = await http.GetAsync(server.DiscoveryEndpoint))
        {
            Assert.Equal(HttpStatusCode.BadGateway, planned.StatusCode);
        }

        // A latency is served first; the outage is judged when it has passed.
        await WaitUntilAsync(() => server.Faults.HeldRequests == 0);
        server.Faults.Latency(TimeSpan.FromSeconds(1));
        server.Faults.Outage(TimeSpan.FromSeconds(10));
        var slow = http.GetAsync(server.DiscoveryEndpoint);
        await WaitUntilAsync(() => server.Faults.HeldRequests == 1);
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        using (var afterLatency = await slow)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, afterLatency.StatusCode);
        }

        server.Faults.Latency(TimeSpan.Zero);
        harness.Time.Advance(TimeSpan.FromSeconds(9));
        using var over = await http.GetAsync(server.DiscoveryEndpoint);
        Assert.Equal(HttpStatusCode.OK, over.StatusCode);
        Assert.Equal(3, harness.Ledger.FaultedRequests);
    }

    [Fact]
    public async Task AdvanceUntilDone_gives_up_after_a_day_of_fake_time_and_honours_cancellation()
    {
        var server = servers.Rotating.Server;
        var never = new TaskCompletionSource<int>();
        var moves = 0;

        var failure = await Assert.ThrowsAsync<TimeoutException>(() => server.AdvanceUntilDoneAsync(_ => moves++, never.Task, TimeSpan.FromHours(1)));
        Assert.Equal(24, moves);
        Assert.Contains("1.00:00:00", failure.Message, StringComparison.Ordinal);

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => server.AdvanceUntilDoneAsync(_ => { }, never.Task, TimeSpan.FromHours(1), cancelled.Token));
        await Assert.ThrowsAsync<ArgumentNullException>(() => server.AdvanceUntilDoneAsync(null!, never.Task));
        await Assert.ThrowsAsync<ArgumentNullException>(() => server.AdvanceUntilDoneAsync<int>(_ => { }, null!));
    }

    [Fact]
    public async Task Planned_answers_carry_their_status_and_Retry_After_rounded_up_to_whole_seconds()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        using var http = new HttpClient();

        harness.Server.Faults.Next(1).Respond(HttpStatusCode.BadGateway, retryAfter: TimeSpan.FromSeconds(1.2));
        harness.Server.Faults.Next(1).Respond(HttpStatusCode.TooManyRequests);

        using var first = await http.GetAsync(harness.Server.DiscoveryEndpoint);
        Assert.Equal(HttpStatusCode.BadGateway, first.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), first.Headers.RetryAfter?.Delta);
        using var second = await http.GetAsync(harness.Server.DiscoveryEndpoint);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Null(second.Headers.RetryAfter);
        using var third = await http.GetAsync(harness.Server.DiscoveryEndpoint);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Equal(2, harness.Ledger.FaultedRequests);
    }

    [Fact]
    public async Task Latency_answers_exactly_when_the_clock_has_moved_by_it()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        using var http = new HttpClient();
        await WaitUntilAsync(() => harness.Server.Faults.HeldRequests == 0); // requests of earlier tests, released by Create, are gone
        harness.Server.Faults.Latency(TimeSpan.FromMilliseconds(800));

        var slow = http.GetAsync(harness.Server.DiscoveryEndpoint);
        await WaitUntilAsync(() => harness.Server.Faults.HeldRequests == 1);
        harness.Time.Advance(TimeSpan.FromMilliseconds(799));
        await Task.Delay(50);
        Assert.False(slow.IsCompleted);
        harness.Time.Advance(TimeSpan.FromMilliseconds(1));

        using var answered = await slow;
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        harness.Server.Faults.Latency(TimeSpan.Zero);
        using var fast = await http.GetAsync(harness.Server.DiscoveryEndpoint);
        Assert.Equal(HttpStatusCode.OK, fast.StatusCode);
    }

    [Fact]
    public async Task The_servers_own_helpers_are_never_faulted()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.Server.Faults.Outage(Timeout.InfiniteTimeSpan);
        harness.Server.Faults.Latency(TimeSpan.FromHours(1));

        Assert.False(string.IsNullOrEmpty(await harness.GetPublicClientOfflineTokenAsync()));
        Assert.Equal(0, harness.Ledger.FaultedRequests);
    }

    [Fact]
    public async Task AdvanceUntilDone_moves_the_clock_only_while_the_server_works_on_no_request()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("inventory");
        var client = harness.CreateClient("inventory");
        var server = harness.Server;
        server.Faults.Next(3).Respond(HttpStatusCode.ServiceUnavailable);
        var moves = 0;

        var status = await server.AdvanceUntilDoneAsync(
            by =>
            {
                Assert.Equal(server.Faults.HeldRequests, server.Ledger.RequestsInFlight);
                moves++;
                harness.Time.Advance(by);
            },
            DevServerHarness.PingAsync(client),
            TimeSpan.FromMilliseconds(250));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(moves > 0, "the retries' backoff needed the clock to move");
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => server.AdvanceUntilDoneAsync(_ => { }, Task.FromResult(1), TimeSpan.Zero));
    }

    [Fact]
    public void Negative_durations_and_counts_are_refused()
    {
        var faults = servers.Rotating.Server.Faults;
        Assert.Throws<ArgumentOutOfRangeException>(() => faults.Outage(TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => faults.Latency(TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => faults.Next(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => faults.Outage(TimeSpan.FromDays(25)));
        Assert.Throws<ArgumentOutOfRangeException>(() => faults.Latency(TimeSpan.FromDays(25)));
        Assert.Throws<ArgumentOutOfRangeException>(() => faults.Latency(Timeout.InfiniteTimeSpan));
        Assert.Throws<ArgumentOutOfRangeException>(() => servers.Rotating.Server.Api.RejectNext(-1));
    }

    // Real time, bounded: the request has to reach the server before the test moves the clock.
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 1000 && !condition(); i++)
        {
            await Task.Delay(5);
        }

        Assert.True(condition(), "the request never reached the fault");
    }
}
