using System.Net;
using OfflineBearer.Tests.Support;
using OfflineBearer.TokenEndpoint;
using Polly;
using Polly.Timeout;

namespace OfflineBearer.Tests.TokenEndpoint;

public sealed class TokenEndpointResilienceTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task Transient_answers_are_retried_with_backoff_and_retry_after_is_honoured()
    {
        using var harness = new Harness(o => o.TokenRequestRetries = 3);
        var attempts = new List<DateTimeOffset>();
        var healthy = harness.OnToken;
        harness.OnToken = request =>
        {
            attempts.Add(harness.Time.GetUtcNow());
            return attempts.Count switch
            {
                1 => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)),
                2 => Task.FromResult(new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Headers = { RetryAfter = new(TimeSpan.FromSeconds(5)) } }),
                _ => healthy(request),
            };
        };
        using var client = harness.CreateClient();

        var call = client.GetAsync("items");
        await harness.AdvanceUntilDoneAsync(call, Step, TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.OK, (await call).StatusCode);
        Assert.Equal(3, attempts.Count);
        Assert.True(attempts[2] - attempts[1] >= TimeSpan.FromSeconds(5), $"waited {attempts[2] - attempts[1]}");
    }

    [Fact]
    public async Task Each_retry_is_logged_with_its_attempt_delay_and_reason()
    {
        using var harness = new Harness(userDefaults: true);
        var answers = new Queue<HttpResponseMessage>([
            new HttpResponseMessage(HttpStatusCode.ServiceUnavailable),
            new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Headers = { RetryAfter = new(TimeSpan.FromSeconds(5)) } },
        ]);
        var healthy = harness.OnToken;
        harness.OnToken = request => answers.TryDequeue(out var answer) ? Task.FromResult(answer) : healthy(request);
        using var client = harness.CreateClient();

        var call = client.GetAsync("items");
        await harness.AdvanceUntilDoneAsync(call, Step, TimeSpan.FromSeconds(60));

        var retries = harness.Logs.GetSnapshot().Where(r => r.Id.Id == 5).ToList();
        Assert.Equal(["2", "3"], retries.Select(r => r.GetStructuredStateValue("Attempt")));
        Assert.Equal(["HTTP 503", "HTTP 429"], retries.Select(r => r.GetStructuredStateValue("Reason")));
        Assert.Equal("5", retries[1].GetStructuredStateValue("DelaySeconds"));
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    [InlineData(HttpStatusCode.RequestTimeout)]
    public async Task Client_credentials_is_retried_after_any_transient_answer(HttpStatusCode status)
    {
        using var harness = new Harness(userDefaults: true);
        AnswerFirstWith(harness, status);
        using var client = harness.CreateClient();

        var call = client.GetAsync("items");
        await harness.AdvanceUntilDoneAsync(call, Step, TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, (await call).StatusCode);
        Assert.Equal(2, harness.TokenRequests.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Client_credentials_is_retried_after_a_network_failure_or_a_timeout(bool hang)
    {
        using var harness = new Harness(userDefaults: true);
        if (hang)
        {
            harness.TokenNetwork.Hang = true;
        }
        else
        {
            harness.TokenNetwork.Fault = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused");
        }

        using var client = harness.CreateClient();

        var call = client.GetAsync("items");
        await harness.TokenNetwork.Arrived.WaitAsync();
        harness.TokenNetwork.Fault = null;
        harness.TokenNetwork.Hang = false;
        await harness.AdvanceUntilDoneAsync(call, Step, TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, (await call).StatusCode);
        Assert.Equal(2, harness.TokenNetwork.Attempts);
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public async Task A_refresh_the_server_said_it_did_not_process_is_retried(HttpStatusCode status)
    {
        using var harness = new Harness(o =>
        {
            o.ClientSecret = null;
            o.RefreshToken = "offline-token-of-the-test";
        }, userDefaults: true);
        AnswerFirstWith(harness, status);
        using var client = harness.CreateClient();

        var call = client.GetAsync("items");
        await harness.AdvanceUntilDoneAsync(call, Step, TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, (await call).StatusCode);
        Assert.Equal(2, harness.TokenRequests.Count);
    }

    [Fact]
    public async Task A_refresh_whose_server_name_did_not_resolve_is_retried()
    {
        using var harness = new Harness(o =>
        {
            o.ClientSecret = null;
            o.RefreshToken = "offline-token-of-the-test";
        }, userDefaults: true);
        harness.TokenNetwork.Fault = new HttpRequestException(HttpRequestError.NameResolutionError, "Name or service not known");
        using var client = harness.CreateClient();

        var call = client.GetAsync("items");
        await harness.TokenNetwork.Arrived.WaitAsync();
        harness.TokenNetwork.Fault = null;
        await harness.AdvanceUntilDoneAsync(call, Step, TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, (await call).StatusCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(30)]
    public async Task A_retry_after_of_zero_or_of_the_whole_time_limit_is_replaced_by_the_backoff(int seconds)
    {
        using var harness = new Harness(userDefaults: true);
        var attempts = new List<DateTimeOffset>();
        var healthy = harness.OnToken;
        harness.OnToken = request =>
        {
            attempts.Add(harness.Time.GetUtcNow());
            return attempts.Count == 1
                ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Headers = { RetryAfter = new(TimeSpan.FromSeconds(seconds)) } })
                : healthy(request);
        };
        using var client = harness.CreateClient();

        var call = client.GetAsync("items");
        await harness.AdvanceUntilDoneAsync(call, Step, TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, (await call).StatusCode);
        var waited = attempts[1] - attempts[0];
        Assert.True(waited > TimeSpan.Zero && waited < TimeSpan.FromSeconds(10), $"waited {waited}");
    }

    [Fact]
    public async Task Retry_delays_are_jittered_so_a_fleet_does_not_retry_in_step()
    {
        var firstDelays = new HashSet<string?>();
        for (var run = 0; run < 3; run++)
        {
            using var harness = new Harness(userDefaults: true);
            AnswerFirstWith(harness, HttpStatusCode.ServiceUnavailable);
            using var client = harness.CreateClient();

            var call = client.GetAsync("items");
            await harness.AdvanceUntilDoneAsync(call, Step, TimeSpan.FromSeconds(30));

            firstDelays.Add(harness.Logs.GetSnapshot().Single(r => r.Id.Id == 5).GetStructuredStateValue("DelaySeconds"));
        }

        Assert.True(firstDelays.Count > 1, "three clients retried after exactly the same delay");
    }

    [Fact]
    public void Retry_reasons_name_the_kind_of_failure()
    {
        Assert.Equal("connection broke: ResponseEnded", TokenEndpointResilience.Reason(Outcome.FromException<TokenEndpointAnswer>(new HttpIOException(HttpRequestError.ResponseEnded))));
        Assert.Equal("attempt timed out", TokenEndpointResilience.Reason(Outcome.FromException<TokenEndpointAnswer>(new TimeoutRejectedException())));
        Assert.Equal("failure", TokenEndpointResilience.Reason(Outcome.FromException<TokenEndpointAnswer>(new InvalidOperationException())));
    }

    [Theory]
    [InlineData(HttpRequestError.ConnectionError, "network: ConnectionError")]
    [InlineData(HttpRequestError.NameResolutionError, "network: NameResolutionError")]
    public void A_retry_reason_names_the_kind_of_network_failure_and_nothing_the_server_wrote(HttpRequestError kind, string reason)
    {
        var outcome = Outcome.FromException<TokenEndpointAnswer>(new HttpRequestException(kind, "planted text from the server"));

        Assert.Equal(reason, TokenEndpointResilience.Reason(outcome));
    }

    [Theory]
    [InlineData("invalid_grant", HttpStatusCode.BadRequest)]
    [InlineData("invalid_client", HttpStatusCode.Unauthorized)]
    [InlineData("unauthorized_client", HttpStatusCode.Unauthorized)]
    [InlineData("invalid_scope", HttpStatusCode.BadRequest)]
    public async Task OAuth_errors_are_never_retried(string error, HttpStatusCode status)
    {
        using var harness = new Harness(o =>
        {
            o.TokenRequestRetries = 3;
            o.ClientSecret = null;
            o.RefreshToken = "offline-token-of-the-test";
        });
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error(error, "no"), status));
        using var client = harness.CreateClient();

        var failure = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal(error, failure.Error);
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task A_silent_token_server_is_abandoned_after_the_attempt_timeout()
    {
        using var harness = new Harness(o => o.TokenRequestAttemptTimeout = TimeSpan.FromSeconds(5));
        harness.TokenNetwork.Hang = true;
        using var client = harness.CreateClient();

        var call = client.GetAsync("items");
        await harness.TokenNetwork.Arrived.WaitAsync();
        harness.Time.Advance(TimeSpan.FromSeconds(5));

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => call);
        Assert.Contains("in time", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slow_body_trips_the_attempt_timeout()
    {
        using var harness = new Harness(o => o.TokenRequestAttemptTimeout = TimeSpan.FromSeconds(5));
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = StalledStream.AsJsonContent() });
        using var client = harness.CreateClient();

        var call = client.GetAsync("items");
        await harness.TokenNetwork.Arrived.WaitAsync();
        harness.Time.Advance(TimeSpan.FromSeconds(5));

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => call);
        Assert.Contains("in time", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_an_expired_token_no_request_hangs_past_the_total_time_limit()
    {
        using var harness = new Harness(o =>
        {
            o.TokenRequestRetries = 10;
            o.TokenRequestAttemptTimeout = TimeSpan.FromMinutes(1);
            o.TokenRequestTimeout = TimeSpan.FromMinutes(1);
        });
        harness.TokenNetwork.Hang = true;
        using var client = harness.CreateClient();

        var calls = Enumerable.Range(0, 10).Select(_ => client.GetAsync("items")).ToList();
        await harness.TokenNetwork.Arrived.WaitAsync();
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        await Task.WhenAll(calls).ContinueWith(_ => { }, TaskScheduler.Default);

        Assert.All(calls, call => Assert.IsType<OfflineBearerException>(call.Exception?.InnerException));
        Assert.All(calls, call => Assert.Equal(
            "OfflineBearer client 'inventory' got no token within TokenRequestTimeout (00:01:00).", call.Exception?.InnerException?.Message));
        Assert.Equal(0, harness.TokenNetwork.Arrived.CurrentCount);
    }

    [Fact]
    public async Task Inside_the_refresh_window_a_caller_waits_one_attempt_at_most_and_keeps_the_current_token()
    {
        using var harness = new Harness(o =>
        {
            o.TokenRequestRetries = 3;
            o.TokenRequestAttemptTimeout = TimeSpan.FromSeconds(3);
        });
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        await harness.TokenNetwork.Arrived.WaitAsync();
        var current = harness.ApiRequests.Single().BearerToken;
        harness.Time.Advance(TimeSpan.FromSeconds(250));
        harness.TokenNetwork.Hang = true;

        var call = client.GetAsync("items");
        await harness.TokenNetwork.Arrived.WaitAsync();
        harness.Time.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(HttpStatusCode.OK, (await call).StatusCode);
        Assert.Equal(current, harness.ApiRequests.Last().BearerToken);
    }

    [Fact]
    public async Task However_many_requests_arrive_the_server_sees_one_attempt_per_backoff_step()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        harness.Time.Advance(TimeSpan.FromSeconds(250));

        // 40 seconds of steady traffic inside the window, ten requests a second.
        for (var i = 0; i < 400; i++)
        {
            (await client.GetAsync("items")).Dispose();
            harness.Time.Advance(TimeSpan.FromMilliseconds(100));
        }

        // Pauses of 1, 2, 4, 8, 16 and then 30 seconds: at 0, 1, 3, 7, 15 and 31 seconds.
        Assert.Equal(1 + 6, harness.TokenRequests.Count);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    [InlineData(HttpStatusCode.InternalServerError)]
    public async Task A_refresh_that_may_have_reached_the_server_is_not_sent_again(HttpStatusCode status)
    {
        using var harness = new Harness(o =>
        {
            o.TokenRequestRetries = 3;
            o.ClientSecret = null;
            o.RefreshToken = "offline-token-that-may-be-spent";
        });
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(status));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal(status, error.StatusCode);
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task A_refresh_that_never_reached_the_server_is_retried()
    {
        using var harness = new Harness(o =>
        {
            o.TokenRequestRetries = 3;
            o.ClientSecret = null;
            o.RefreshToken = "offline-token-of-the-test";
        });
        harness.TokenNetwork.Fault = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused");
        using var client = harness.CreateClient();

        var call = client.GetAsync("items");
        await harness.TokenNetwork.Arrived.WaitAsync();
        harness.TokenNetwork.Fault = null;
        await harness.AdvanceUntilDoneAsync(call, Step, TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, (await call).StatusCode);
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task A_connection_that_breaks_mid_answer_is_the_typed_error()
    {
        using var harness = new Harness();
        harness.TokenNetwork.Fault = new HttpIOException(HttpRequestError.ResponseEnded, "The response ended prematurely.");
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.IsType<HttpIOException>(error.InnerException);
        Assert.Contains("broke", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_error_with_an_oauth_body_is_trouble_that_passes_not_a_five_minute_refusal()
    {
        using var harness = new Harness();
        var healthy = harness.OnToken;
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error("unknown_error", "boom"), HttpStatusCode.InternalServerError));
        using var client = harness.CreateClient();
        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
        harness.OnToken = healthy;

        harness.Time.Advance(TimeSpan.FromSeconds(1));
        using var response = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>The first token request gets <paramref name="status"/>; every later one the harness's healthy answer.</summary>
    private static void AnswerFirstWith(Harness harness, HttpStatusCode status)
    {
        var healthy = harness.OnToken;
        var answered = 0;
        harness.OnToken = request => Interlocked.Increment(ref answered) == 1
            ? Task.FromResult(new HttpResponseMessage(status))
            : healthy(request);
    }
}
