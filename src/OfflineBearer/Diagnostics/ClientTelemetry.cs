using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OfflineBearer.Diagnostics;

/// <summary>
/// What one client reports to metrics and traces. Each method checks that someone listens before it builds tags, so
/// nothing is allocated for telemetry nobody collects.
/// </summary>
internal sealed class ClientTelemetry
{
    private readonly OfflineBearerMetrics? _metrics;
    private readonly KeyValuePair<string, object?> _client;
    private volatile string _lastGrant = "unknown";

    public ClientTelemetry(string clientName, OfflineBearerMetrics? metrics)
    {
        ClientName = clientName;
        _metrics = metrics;
        _client = new(OfflineBearerMetrics.ClientTag, clientName);
    }

    public string ClientName { get; }

    /// <summary>A span for one token request, or null when no one listens.</summary>
    public Activity? StartTokenRequest(string grant)
    {
        var activity = OfflineBearerActivitySource.Instance.StartActivity("offlinebearer.token_request");
        activity?.SetTag(OfflineBearerMetrics.ClientTag, ClientName).SetTag(OfflineBearerMetrics.GrantTag, grant);
        return activity;
    }

    public void TokenRequest(string grant, string outcome, TimeSpan duration)
    {
        _lastGrant = grant;
        if (_metrics is null || !(_metrics.TokenRequests.Enabled || _metrics.TokenRequestDuration.Enabled))
        {
            return;
        }

        var tags = new TagList { _client, { OfflineBearerMetrics.GrantTag, grant }, { OfflineBearerMetrics.OutcomeTag, outcome } };
        if (_metrics.TokenRequests.Enabled)
        {
            _metrics.TokenRequests.Add(1, tags);
        }

        if (_metrics.TokenRequestDuration.Enabled)
        {
            _metrics.TokenRequestDuration.Record(duration.TotalSeconds, tags);
        }
    }

    /// <summary>A caller the failure pause refused a token request: counted under the grant the client last ran.</summary>
    public void Paused()
    {
        if (_metrics?.TokenRequests is { Enabled: true } requests)
        {
            requests.Add(1, _client, new(OfflineBearerMetrics.GrantTag, _lastGrant), new(OfflineBearerMetrics.OutcomeTag, TokenOutcome.Paused));
        }
    }

    public void Retry(string reason)
    {
        Add(_metrics?.Retries, new KeyValuePair<string, object?>(OfflineBearerMetrics.ReasonTag, reason));
        Activity.Current?.AddEvent(new ActivityEvent("offlinebearer.retry", tags: new ActivityTagsCollection { [OfflineBearerMetrics.ReasonTag] = reason }));
    }

    public void Resent()
    {
        Add(_metrics?.Resends);
        Activity.Current?.AddEvent(new ActivityEvent("offlinebearer.resent_after_401"));
    }

    public void NotResent(string reason) => Add(_metrics?.NotResent, new KeyValuePair<string, object?>(OfflineBearerMetrics.ReasonTag, reason));

    public void Waited()
    {
        Add(_metrics?.Waits);
        Activity.Current?.AddEvent(new ActivityEvent("offlinebearer.waited_for_token"));
    }

    public void Rotated() => Add(_metrics?.Rotations);

    public void StoreWrite(bool succeeded) =>
        Add(_metrics?.StoreWrites, new KeyValuePair<string, object?>(OfflineBearerMetrics.OutcomeTag, succeeded ? TokenOutcome.Success : "failure"));

    private void Add(Counter<long>? counter)
    {
        if (counter is { Enabled: true })
        {
            counter.Add(1, _client);
        }
    }

    private void Add(Counter<long>? counter, KeyValuePair<string, object?> tag)
    {
        if (counter is { Enabled: true })
        {
            counter.Add(1, _client, tag);
        }
    }
}
