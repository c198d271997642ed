using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace OfflineBearer.Demo;

/// <summary>
/// Adds up OfflineBearer's counters as an OpenTelemetry exporter would receive them (a <see cref="MeterListener"/> on
/// the meter <see cref="OfflineBearerDiagnostics.MeterName"/>), so the demo's summary comes from the metrics a service
/// would export, not from its log lines.
/// </summary>
internal sealed class DemoMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new(StringComparer.Ordinal);

    public DemoMetrics()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == OfflineBearerDiagnostics.MeterName && instrument is Counter<long>)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? grant = null, outcome = null;
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case "offlinebearer.grant_type":
                        grant = tag.Value as string;
                        break;
                    case "offlinebearer.outcome":
                        outcome = tag.Value as string;
                        break;
                }
            }

            _sums.AddOrUpdate(Key(instrument.Name, grant, outcome), value, (_, sum) => sum + value);
        });
        _listener.Start();
    }

    /// <summary>The sum of a counter, over the tags given (null: any).</summary>
    public long Sum(string instrument, string? grant = null, string? outcome = null) =>
        _sums.Where(pair => pair.Key.StartsWith(instrument + "|", StringComparison.Ordinal) && Matches(pair.Key, grant, outcome))
            .Sum(pair => pair.Value);

    public void Dispose() => _listener.Dispose();

    private static string Key(string instrument, string? grant, string? outcome) => $"{instrument}|{grant}|{outcome}";

    private static bool Matches(string key, string? grant, string? outcome)
    {
        var parts = key.Split('|');
        return (grant is null || parts[1] == grant) && (outcome is null || parts[2] == outcome);
    }
}
