using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.Diagnostics;

/// <summary>Each metric moves exactly as the behaviour it counts; a host's IMeterFactory keeps tests apart.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task A_storm_of_1000_callers_records_one_token_request_and_1000_waits()
    {
        using var harness = Metered();
        using var requests = Collect<long>(harness, "offlinebearer.token.requests");
        using var duration = Collect<double>(harness, "offlinebearer.token.request.duration");
        using var waits = Collect<long>(harness, "offlinebearer.token.waits");
        using var client = harness.CreateClient();
        var release = new TaskCompletionSource();
        var answer = harness.OnToken;
        harness.OnToken = async request =>
        {
            await release.Task; // every caller arrives before the token does
            return await answer(request);
        };

        var storm = Enumerable.Range(0, 1000).Select(async _ => (await client.GetAsync("items")).Dispose()).ToList();
        release.SetResult();
        await Task.WhenAll(storm);

        var request = Assert.Single(requests.GetMeasurementSnapshot());
        Assert.Equal(1, request.Value);
        Assert.Equal(Harness.ClientName, request.Tags["offlinebearer.client"]);
        Assert.Equal("client_credentials", request.Tags["offlinebearer.grant_type"]);
        Assert.Equal("success", request.Tags["offlinebearer.outcome"]);
        Assert.Single(duration.GetMeasurementSnapshot());
        Assert.Equal(1000, waits.GetMeasurementSnapshot().EvaluateAsCounter());
    }

    [Fact]
    public async Task Callers_with_a_fresh_token_do_not_wait()
    {
        using var harness = Metered();
        using var client = harness.CreateClient();
        (await client.GetAsync("warm-up")).Dispose();
        using var waits = Collect<long>(harness, "offlinebearer.token.waits");

        for (var i = 0; i < 10; i++)
        {
            (await client.GetAsync("items")).Dispose();
        }

        Assert.Empty(waits.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task A_401_storm_records_one_resend_per_resent_request_and_one_refresh()
    {
        using var harness = Metered();
        using var client = harness.CreateClient();
        await harness.RevokeTheFirstTokenAsync(client);
        using var resends = Collect<long>(harness, "offlinebearer.request.resends");
        using var requests = Collect<long>(harness, "offlinebearer.token.requests");
        var revoked = harness.ApiRequests.Single().BearerToken;
        var refuse = harness.OnApi;
        var arrived = 0;
        var allArrived = new TaskCompletionSource();
        harness.OnApi = async request =>
        {
            // All 50 carry the revoked token before the first 401 goes back.
            if (request.BearerToken == revoked && Interlocked.Increment(ref arrived) == 50)
            {
                allArrived.SetResult();
            }

            await allArrived.Task;
            return await refuse(request);
        };

        await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ => (await client.GetAsync("items")).Dispose()));

        Assert.Equal(50, resends.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(1, requests.GetMeasurementSnapshot().EvaluateAsCounter());
    }

    [Fact]
    public async Task A_401_that_cannot_or_must_not_be_resent_is_counted_with_its_reason()
    {
        using var harness = Metered();
        harness.OnApi = _ => Task.FromResult(Harness.Unauthorized());
        using var unauthorized = Collect<long>(harness, "offlinebearer.request.unauthorized");
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose(); // resent once, then a second 401
        (await client.PostAsync("items", new StreamContent(new MemoryStream([1, 2, 3])))).Dispose();
        harness.OnApi = _ => Task.FromResult(Harness.Unauthorized("Basic realm=\"api\""));
        (await client.GetAsync("items")).Dispose();

        Assert.Equal(
            ["not_a_token_problem", "second_401", "streamed_body"],
            unauthorized.GetMeasurementSnapshot().Select(m => (string)m.Tags["offlinebearer.reason"]!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_nonce_challenge_that_is_not_resent_is_counted_with_its_reason()
    {
        using var harness = new Harness(o => o.DPoP = true, s => s.AddMetrics());
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)))
            .Replace("\"token_type\":\"Bearer\"", "\"token_type\":\"DPoP\"", StringComparison.Ordinal)));
        harness.OnApi = _ =>
        {
            var count = harness.ApiRequests.Count;
            var answer = count == 1 ? new HttpResponseMessage(HttpStatusCode.OK) : Harness.Unauthorized("DPoP error=\"use_dpop_nonce\"");
            answer.Headers.Add("DPoP-Nonce", $"api-{Math.Max(1, count - 1)}");
            return Task.FromResult(answer);
        };
        using var unauthorized = Collect<long>(harness, "offlinebearer.request.unauthorized");
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose(); // learns api-1
        (await client.GetAsync("items")).Dispose(); // asked for api-1, which its proof carried
        (await client.GetAsync("items")).Dispose(); // asked for api-2, resent with it, then asked for api-3
        (await client.PostAsync("items", new StreamContent(new MemoryStream([1, 2, 3])))).Dispose();

        Assert.Equal(5, harness.ApiRequests.Count);
        Assert.Equal(
            ["same_nonce", "second_nonce_challenge", "streamed_body"],
            unauthorized.GetMeasurementSnapshot().Select(m => (string)m.Tags["offlinebearer.reason"]!));
    }

    [Fact]
    public async Task An_outage_with_default_options_records_retries_and_failures_by_outcome_and_the_expiry_gauge_keeps_falling()
    {
        using var harness = Metered(userDefaults: true);
        using var client = harness.CreateClient();
        (await client.GetAsync("warm-up")).Dispose();
        using var requests = Collect<long>(harness, "offlinebearer.token.requests");
        using var retries = Collect<long>(harness, "offlinebearer.token.request.retries");
        using var expiresIn = Collect<double>(harness, "offlinebearer.token.expires_in");
        harness.TokenNetwork.Fault = new HttpRequestException(HttpRequestError.ConnectionError, "connection refused");

        expiresIn.RecordObservableInstruments();
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        var failing = client.GetAsync("items");
        await harness.AdvanceUntilDoneAsync(failing, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2));
        await Assert.ThrowsAsync<OfflineBearerException>(() => failing);
        expiresIn.RecordObservableInstruments();

        var failure = Assert.Single(requests.GetMeasurementSnapshot());
        Assert.Equal("network", failure.Tags["offlinebearer.outcome"]);
        Assert.Equal(3, retries.GetMeasurementSnapshot().EvaluateAsCounter()); // the default TokenRequestRetries
        Assert.All(retries.GetMeasurementSnapshot(), m => Assert.Equal("network: ConnectionError", m.Tags["offlinebearer.reason"]));
        var gauge = expiresIn.GetMeasurementSnapshot().Select(m => m.Value).ToList();
        Assert.Equal(2, gauge.Count);
        Assert.True(gauge[0] > 0 && gauge[1] < 0, $"The gauge went from {gauge[0]} to {gauge[1]}.");
    }

    [Fact]
    public async Task Callers_the_failure_pause_refuses_are_counted_as_paused()
    {
        using var harness = Metered();
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error("invalid_client", "Invalid client credentials"), HttpStatusCode.Unauthorized));
        using var requests = Collect<long>(harness, "offlinebearer.token.requests");
        using var client = harness.CreateClient();

        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal(
            ["invalid_client", "paused"],
            requests.GetMeasurementSnapshot().Select(m => (string)m.Tags["offlinebearer.outcome"]!));
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task Rotations_and_store_writes_are_counted()
    {
        using var harness = Metered();
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)), refreshToken: harness.IssueRefreshToken())));
        using var rotations = Collect<long>(harness, "offlinebearer.refresh_token.rotations");
        using var writes = Collect<long>(harness, "offlinebearer.store.writes");
        using var sinceSuccess = Collect<double>(harness, "offlinebearer.token.since_last_success");
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose(); // the first refresh token: stored, not a rotation
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        (await client.GetAsync("items")).Dispose(); // refreshed: a new one in place of the old
        harness.Time.Advance(TimeSpan.FromSeconds(42));
        sinceSuccess.RecordObservableInstruments();

        Assert.Equal(1, rotations.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(2, writes.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.All(writes.GetMeasurementSnapshot(), m => Assert.Equal("success", m.Tags["offlinebearer.outcome"]));
        Assert.Equal(42, Assert.Single(sinceSuccess.GetMeasurementSnapshot()).Value, precision: 3);
    }

    [Fact]
    public async Task No_metric_tag_carries_a_token_or_a_secret()
    {
        using var harness = Metered();
        harness.OnToken = request => Task.FromResult(request.GrantType == "refresh_token"
            ? Harness.Json(TokenJson.Error("invalid_grant", $"Token {request.Form["refresh_token"]} is not active"), HttpStatusCode.BadRequest)
            : Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)), refreshToken: harness.IssueRefreshToken())));
        var collected = new List<string>();
        var factory = harness.Services.GetRequiredService<IMeterFactory>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // This harness's meter only: observing every meter of the name would run other tests' gauges, which read
            // their clocks (HotPathTests counts those reads).
            if (instrument.Meter.Name == OfflineBearerDiagnostics.MeterName && instrument.Meter.Scope == factory)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) => Record(tags));
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) => Record(tags));
        listener.Start();
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        (await client.GetAsync("items")).Dispose();
        listener.RecordObservableInstruments();

        Assert.NotEmpty(collected);
        Assert.DoesNotContain(collected, value => harness.IsSecret(value));

        void Record(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            lock (collected)
            {
                foreach (var tag in tags)
                {
                    collected.Add($"{tag.Key}={tag.Value}");
                }
            }
        }
    }

    private static Harness Metered(bool userDefaults = false) => new(services: s => s.AddMetrics(), userDefaults: userDefaults);

    private static MetricCollector<T> Collect<T>(Harness harness, string instrument)
        where T : struct =>
        new(harness.Services.GetRequiredService<IMeterFactory>(), OfflineBearerDiagnostics.MeterName, instrument, harness.Time);
}
