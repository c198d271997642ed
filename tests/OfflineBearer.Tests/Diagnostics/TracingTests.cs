using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.Diagnostics;

/// <summary>Spans on the OfflineBearer activity source, and events on the caller's own span; no secret in either.</summary>
public sealed class TracingTests : IDisposable
{
    private readonly ActivitySource _caller = new("OfflineBearer.Tests.Caller");
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public TracingTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is OfflineBearerDiagnostics.ActivitySourceName or "OfflineBearer.Tests.Caller",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [Fact]
    public async Task A_token_request_is_a_span_under_the_callers_span_with_grant_status_and_client()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        ActivityTraceId trace;

        using (var request = _caller.StartActivity("caller"))
        {
            trace = request!.TraceId;
            (await client.GetAsync("items")).Dispose();
        }

        var span = Assert.Single(Mine(trace), a => a.OperationName == "offlinebearer.token_request");
        Assert.Equal(Harness.ClientName, span.GetTagItem("offlinebearer.client"));
        Assert.Equal("client_credentials", span.GetTagItem("offlinebearer.grant_type"));
        Assert.Equal(200, span.GetTagItem("http.response.status_code"));
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
        var caller = Assert.Single(Mine(trace), a => a.OperationName == "caller");
        Assert.Contains(caller.Events, e => e.Name == "offlinebearer.waited_for_token");
    }

    [Fact]
    public async Task A_refused_token_request_is_an_error_span_with_the_OAuth_error_and_no_secret()
    {
        using var harness = new Harness();
        harness.OnToken = request => Task.FromResult(Harness.Json(
            TokenJson.Error("invalid_client", $"client secret {Harness.ClientSecret} is wrong"), HttpStatusCode.Unauthorized));
        using var client = harness.CreateClient();
        ActivityTraceId trace;

        using (var request = _caller.StartActivity("caller"))
        {
            trace = request!.TraceId;
            await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
        }

        var span = Assert.Single(Mine(trace), a => a.OperationName == "offlinebearer.token_request");
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal("invalid_client", span.GetTagItem("error.type"));
        Assert.Equal(401, span.GetTagItem("http.response.status_code"));
        AssertNoSecret(harness, trace);
    }

    [Fact]
    public async Task Discovery_and_retries_show_in_the_token_request()
    {
        using var harness = new Harness(
            o =>
            {
                o.TokenEndpoint = null;
                o.Authority = "https://sso.test/realms/prod";
            },
            userDefaults: true);
        var failures = 0;
        harness.OnToken = request => Task.FromResult(request.Uri.AbsolutePath.EndsWith("openid-configuration", StringComparison.Ordinal)
            ? Harness.Json($$"""{"token_endpoint":"{{Harness.TokenEndpoint}}"}""")
            : Interlocked.Increment(ref failures) == 1
                ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
                : Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)))));
        using var client = harness.CreateClient();
        ActivityTraceId trace;

        using (var request = _caller.StartActivity("caller"))
        {
            trace = request!.TraceId;
            var call = client.GetAsync("items");
            await harness.AdvanceUntilDoneAsync(call, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
            (await call).Dispose();
        }

        var tokenRequest = Assert.Single(Mine(trace), a => a.OperationName == "offlinebearer.token_request");
        var discovery = Assert.Single(Mine(trace), a => a.OperationName == "offlinebearer.discovery");
        Assert.Equal(tokenRequest.SpanId, discovery.ParentSpanId);
        Assert.Equal("sso.test", discovery.GetTagItem("server.address"));
        var retry = Assert.Single(tokenRequest.Events, e => e.Name == "offlinebearer.retry");
        Assert.Equal("HTTP 503", retry.Tags.Single(t => t.Key == "offlinebearer.reason").Value);
    }

    [Fact]
    public async Task A_resent_request_gets_an_event_on_the_callers_span()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        await harness.RevokeTheFirstTokenAsync(client);
        ActivityTraceId trace;

        using (var request = _caller.StartActivity("caller"))
        {
            trace = request!.TraceId;
            (await client.GetAsync("items")).Dispose();
        }

        var caller = Assert.Single(Mine(trace), a => a.OperationName == "caller");
        Assert.Contains(caller.Events, e => e.Name == "offlinebearer.resent_after_401");
        AssertNoSecret(harness, trace);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _caller.Dispose();
    }

    private List<Activity> Mine(ActivityTraceId trace) => [.. _stopped.Where(a => a.TraceId == trace)];

    private void AssertNoSecret(Harness harness, ActivityTraceId trace)
    {
        var texts = Mine(trace).SelectMany(a => a.TagObjects.Select(t => $"{t.Key}={t.Value}")
            .Concat(a.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name}:{t.Key}={t.Value}")))
            .Append(a.DisplayName)
            .Append(a.StatusDescription ?? string.Empty)).ToList();
        Assert.NotEmpty(texts);
        Assert.DoesNotContain(texts, harness.IsSecret);
    }
}
