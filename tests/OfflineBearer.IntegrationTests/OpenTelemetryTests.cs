using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OfflineBearer.IntegrationTests.Support;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace OfflineBearer.IntegrationTests;

/// <summary>What an operations team sees with the README's lines: the OpenTelemetry SDK exporting our metrics and spans.</summary>
[Collection(SharedDevServers.Name)]
public sealed class OpenTelemetryTests(DevServerFixture servers)
{
    [Fact]
    public async Task The_OpenTelemetry_SDK_exports_token_requests_durations_resends_and_spans_and_the_health_check_reports()
    {
        var metrics = new List<Metric>();
        var spans = new List<Activity>();
        using (var meterProvider = Sdk.CreateMeterProviderBuilder().AddMeter(OfflineBearerDiagnostics.MeterName).AddInMemoryExporter(metrics).Build())
        using (var tracerProvider = Sdk.CreateTracerProviderBuilder().AddSource(OfflineBearerDiagnostics.ActivitySourceName).AddInMemoryExporter(spans).Build())
        {
            await using var harness = DevServerHarness.Create(servers.Rotating);
            harness.AddBasicClient("telemetry").Services.AddHealthChecks().AddOfflineBearer();
            var before = await harness.PingAsync("telemetry");
            await harness.Server.RevokeAccessTokensAsync();
            var after = await harness.PingAsync("telemetry");
            var health = await harness.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

            meterProvider.ForceFlush();
            tracerProvider.ForceFlush();

            Assert.Equal(HttpStatusCode.OK, before);
            Assert.Equal(HttpStatusCode.OK, after);
            Assert.Equal(HealthStatus.Healthy, health.Entries["offlinebearer:telemetry"].Status);
            Assert.Empty(harness.FindLeaks());

            // Read before the providers are disposed, which exports (cumulative sums) once more.
            Assert.Equal(2, Sum(metrics, "offlinebearer.token.requests", ("offlinebearer.outcome", "success")));
            Assert.Equal(1, Sum(metrics, "offlinebearer.request.resends"));
            var duration = Assert.Single(metrics, m => m.Name == "offlinebearer.token.request.duration");
            Assert.Equal("s", duration.Unit);
        }

        Assert.Equal(["client_credentials", "refresh_token"], spans
            .Where(s => s.OperationName == "offlinebearer.token_request" && (string?)s.GetTagItem("offlinebearer.client") == "telemetry")
            .Select(s => (string)s.GetTagItem("offlinebearer.grant_type")!));
        Assert.Contains(spans, s => s.OperationName == "offlinebearer.discovery");
    }

    private static long Sum(List<Metric> metrics, string name, params (string Key, string Value)[] tags)
    {
        long sum = 0;
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var matches = true;
                var client = false;
                foreach (var tag in point.Tags)
                {
                    client |= tag is { Key: "offlinebearer.client", Value: "telemetry" };
                    matches &= !tags.Any(t => t.Key == tag.Key && !Equals(t.Value, tag.Value));
                }

                if (client && matches)
                {
                    sum += point.GetSumLong();
                }
            }
        }

        return sum;
    }
}
