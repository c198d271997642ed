using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Diagnostics;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.Diagnostics;

/// <summary>
/// The instruments as a dashboard sees them (name, type, unit, description, buckets), the values of the gauges and the
/// duration, the tags of the rarer outcomes, and who disposes the meter.
/// </summary>
public sealed class MetricInstrumentsTests
{
    [Fact]
    public void Every_instrument_has_the_documented_name_type_and_unit_and_says_what_it_counts()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var published = new List<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Scope == factory)
                {
                    published.Add(instrument);
                }
            },
        };
        listener.Start();

        using var metrics = new OfflineBearerMetrics(new FakeTimeProvider(), factory);

        Assert.Equal(
            [
                "offlinebearer.refresh_token.rotations Counter<long> {rotation}",
                "offlinebearer.request.resends Counter<long> {request}",
                "offlinebearer.request.unauthorized Counter<long> {response}",
                "offlinebearer.store.writes Counter<long> {write}",
                "offlinebearer.token.expires_in ObservableGauge<double> s",
                "offlinebearer.token.request.duration Histogram<double> s",
                "offlinebearer.token.request.retries Counter<long> {retry}",
                "offlinebearer.token.requests Counter<long> {request}",
                "offlinebearer.token.since_last_success ObservableGauge<double> s",
                "offlinebearer.token.waits Counter<long> {caller}",
            ],
            published.Select(i => $"{i.Name} {Kind(i)} {i.Unit}").Order(StringComparer.Ordinal));
        Assert.All(published, i => Assert.Equal(OfflineBearerDiagnostics.MeterName, i.Meter.Name));
        Assert.All(published, i => Assert.False(string.IsNullOrWhiteSpace(i.Description), $"{i.Name} has no description."));
        Assert.Equal(
            [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
            metrics.TokenRequestDuration.Advice?.HistogramBucketBoundaries);
    }

    [Fact]
    public async Task The_duration_is_the_time_the_token_request_took_tagged_with_grant_and_outcome()
    {
        using var harness = Metered();
        using var duration = Collect<double>(harness, "offlinebearer.token.request.duration");
        var answer = harness.OnToken;
        harness.OnToken = request =>
        {
            harness.Time.Advance(TimeSpan.FromSeconds(2.5)); // a slow server
            return answer(request);
        };
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();

        var measurement = Assert.Single(duration.GetMeasurementSnapshot());
        Assert.Equal(2.5, measurement.Value, precision: 3);
        Assert.Equal(Harness.ClientName, measurement.Tags["offlinebearer.client"]);
        Assert.Equal("client_credentials", measurement.Tags["offlinebearer.grant_type"]);
        Assert.Equal("success", measurement.Tags["offlinebearer.outcome"]);
    }

    [Fact]
    public async Task The_expiry_gauge_is_the_seconds_left_on_the_token_for_its_client()
    {
        using var harness = Metered();
        using var expiresIn = Collect<double>(harness, "offlinebearer.token.expires_in");
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        harness.Time.Advance(TimeSpan.FromSeconds(60));

        expiresIn.RecordObservableInstruments();

        var gauge = Assert.Single(expiresIn.GetMeasurementSnapshot());
        Assert.Equal(239, gauge.Value, precision: 3); // 5 minutes less the 1-second margin, a minute later
        Assert.Equal(Harness.ClientName, gauge.Tags["offlinebearer.client"]);
    }

    [Fact]
    public async Task A_token_of_unknown_lifetime_reports_no_expiry_but_its_age()
    {
        using var harness = Metered();
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.Secret("opaque-access-token"), expiresIn: null)));
        using var expiresIn = Collect<double>(harness, "offlinebearer.token.expires_in");
        using var sinceSuccess = Collect<double>(harness, "offlinebearer.token.since_last_success");
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        harness.Time.Advance(TimeSpan.FromSeconds(7));

        expiresIn.RecordObservableInstruments();
        sinceSuccess.RecordObservableInstruments();

        Assert.Empty(expiresIn.GetMeasurementSnapshot());
        var age = Assert.Single(sinceSuccess.GetMeasurementSnapshot());
        Assert.Equal(7, age.Value, precision: 3);
        Assert.Equal(Harness.ClientName, age.Tags["offlinebearer.client"]);
    }

    [Fact]
    public async Task Callers_the_failure_pause_refuses_are_counted_under_the_grant_the_client_last_ran()
    {
        using var harness = Metered();
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error("invalid_client", "Invalid client credentials"), HttpStatusCode.Unauthorized));
        using var requests = Collect<long>(harness, "offlinebearer.token.requests");
        using var client = harness.CreateClient();

        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        var paused = Assert.Single(requests.GetMeasurementSnapshot(), m => (string?)m.Tags["offlinebearer.outcome"] == "paused");
        Assert.Equal("client_credentials", paused.Tags["offlinebearer.grant_type"]);
        Assert.Equal(Harness.ClientName, paused.Tags["offlinebearer.client"]);
    }

    [Fact]
    public async Task A_refresh_token_the_store_could_not_keep_is_counted_as_a_failed_write()
    {
        var store = new RecordingStore();
        await store.SetAsync(Harness.ClientName, "old-offline-token", default);
        using var harness = new Harness(services: s => s.AddMetrics().AddSingleton<IRefreshTokenStore>(store));
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)), refreshToken: harness.IssueRefreshToken())));
        using var writes = Collect<long>(harness, "offlinebearer.store.writes");
        using var client = harness.CreateClient();
        store.FailWrites = true;

        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        var write = Assert.Single(writes.GetMeasurementSnapshot());
        Assert.Equal("failure", write.Tags["offlinebearer.outcome"]);
        Assert.Equal(Harness.ClientName, write.Tags["offlinebearer.client"]);
    }

    [Fact]
    public void A_pause_before_any_token_request_is_counted_under_an_unknown_grant()
    {
        using var metrics = new OfflineBearerMetrics(new FakeTimeProvider());
        using var requests = new MetricCollector<long>(metrics.TokenRequests);

        new ClientTelemetry("reports", metrics).Paused();

        var paused = Assert.Single(requests.GetMeasurementSnapshot());
        Assert.Equal("unknown", paused.Tags["offlinebearer.grant_type"]);
        Assert.Equal("paused", paused.Tags["offlinebearer.outcome"]);
        Assert.Equal("reports", paused.Tags["offlinebearer.client"]);
    }

    [Fact]
    public void Telemetry_without_metrics_does_nothing_and_throws_nothing()
    {
        var telemetry = new ClientTelemetry("reports", metrics: null);

        telemetry.TokenRequest("refresh_token", "success", TimeSpan.FromSeconds(1));
        telemetry.Paused();
        telemetry.Retry("HTTP 503");
        telemetry.Resent();
        telemetry.NotResent("second_401");
        telemetry.Waited();
        telemetry.Rotated();
        telemetry.StoreWrite(succeeded: false);

        Assert.Equal("reports", telemetry.ClientName);
    }

    [Fact]
    public void A_meter_from_the_hosts_factory_is_left_to_the_factory()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new OfflineBearerMetrics(new FakeTimeProvider(), services.GetRequiredService<IMeterFactory>());
        using var requests = new MetricCollector<long>(metrics.TokenRequests);

        metrics.Dispose();
        metrics.TokenRequests.Add(1);

        Assert.Single(requests.GetMeasurementSnapshot());
    }

    [Fact]
    public void A_meter_of_its_own_is_disposed_with_the_metrics()
    {
        var metrics = new OfflineBearerMetrics(new FakeTimeProvider());
        using var requests = new MetricCollector<long>(metrics.TokenRequests);

        metrics.Dispose();
        metrics.TokenRequests.Add(1);

        Assert.Empty(requests.GetMeasurementSnapshot());
        Assert.False(metrics.TokenRequests.Enabled);
    }

    private static string Kind(Instrument instrument) => instrument switch
    {
        Counter<long> => "Counter<long>",
        Histogram<double> => "Histogram<double>",
        ObservableGauge<double> => "ObservableGauge<double>",
        _ => instrument.GetType().Name,
    };

    private static Harness Metered() => new(services: s => s.AddMetrics());

    private static MetricCollector<T> Collect<T>(Harness harness, string instrument)
        where T : struct =>
        new(harness.Services.GetRequiredService<IMeterFactory>(), OfflineBearerDiagnostics.MeterName, instrument, harness.Time);
}
