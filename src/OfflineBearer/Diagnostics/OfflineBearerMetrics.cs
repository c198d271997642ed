using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace OfflineBearer.Diagnostics;

/// <summary>
/// Every OfflineBearer metric, on one meter named <see cref="OfflineBearerDiagnostics.MeterName"/> from the host's
/// <see cref="IMeterFactory"/> (or one of its own when the host has none). Names and units follow OpenTelemetry's
/// conventions; tags are the client's name and small fixed vocabularies, never anything secret.
/// </summary>
internal sealed class OfflineBearerMetrics : IDisposable
{
    public const string ClientTag = "offlinebearer.client";
    public const string GrantTag = "offlinebearer.grant_type";
    public const string OutcomeTag = "offlinebearer.outcome";
    public const string ReasonTag = "offlinebearer.reason";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ITokenGauges> _holders = new(StringComparer.Ordinal);

    public OfflineBearerMetrics(TimeProvider time, IMeterFactory? meterFactory = null)
    {
        _time = time;
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(OfflineBearerDiagnostics.MeterName) ?? new Meter(OfflineBearerDiagnostics.MeterName);

        TokenRequests = _meter.CreateCounter<long>(
            "offlinebearer.token.requests", "{request}", "Token requests by grant and outcome, including those the failure pause refused.");
        TokenRequestDuration = _meter.CreateHistogram(
            "offlinebearer.token.request.duration",
            "s",
            "Duration of token requests, discovery and retries included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        Retries = _meter.CreateCounter<long>("offlinebearer.token.request.retries", "{retry}", "Retries of token requests, by reason.");
        Resends = _meter.CreateCounter<long>("offlinebearer.request.resends", "{request}", "API requests resent once with a new token after a 401.");
        NotResent = _meter.CreateCounter<long>(
            "offlinebearer.request.unauthorized", "{response}", "API 401 answers returned without a resend, by reason.");
        Waits = _meter.CreateCounter<long>("offlinebearer.token.waits", "{caller}", "Callers that waited for a token request.");
        Rotations = _meter.CreateCounter<long>("offlinebearer.refresh_token.rotations", "{rotation}", "New refresh tokens received in place of the old one.");
        StoreWrites = _meter.CreateCounter<long>("offlinebearer.store.writes", "{write}", "Writes of refresh tokens to the store, by outcome.");
        _meter.CreateObservableGauge(
            "offlinebearer.token.expires_in", ObserveExpiresIn, "s", "Seconds until the current access token expires; negative once it has.");
        _meter.CreateObservableGauge(
            "offlinebearer.token.since_last_success", ObserveSinceLastSuccess, "s", "Seconds since the last token was got.");
    }

    public Counter<long> TokenRequests { get; }

    public Histogram<double> TokenRequestDuration { get; }

    public Counter<long> Retries { get; }

    public Counter<long> Resends { get; }

    public Counter<long> NotResent { get; }

    public Counter<long> Waits { get; }

    public Counter<long> Rotations { get; }

    public Counter<long> StoreWrites { get; }

    /// <summary>Reports the gauges of <paramref name="holder"/> from now on.</summary>
    public void Track(ITokenGauges holder) => _holders[holder.ClientName] = holder;

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private IEnumerable<Measurement<double>> ObserveExpiresIn()
    {
        var now = _time.GetTimestamp();
        foreach (var holder in _holders.Values)
        {
            if (holder.ExpiresAt is { } expiresAt)
            {
                yield return new Measurement<double>((expiresAt - now) / (double)_time.TimestampFrequency, new KeyValuePair<string, object?>(ClientTag, holder.ClientName));
            }
        }
    }

    private IEnumerable<Measurement<double>> ObserveSinceLastSuccess()
    {
        foreach (var holder in _holders.Values)
        {
            if (holder.LastSuccessAt is { } at)
            {
                yield return new Measurement<double>(_time.GetElapsedTime(at).TotalSeconds, new KeyValuePair<string, object?>(ClientTag, holder.ClientName));
            }
        }
    }
}
