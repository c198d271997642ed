using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.Health;

/// <summary>Each health state reached through what happens to a real client; a check never asks for a token itself.</summary>
public sealed class HealthCheckTests
{
    [Fact]
    public async Task A_client_that_has_not_needed_a_token_is_healthy_and_the_check_asks_the_server_nothing()
    {
        using var harness = Checked();

        var report = await CheckAsync(harness);

        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Contains("has not needed a token yet", report.Description, StringComparison.Ordinal);
        Assert.Empty(harness.TokenRequests);
    }

    [Fact]
    public async Task A_client_with_a_valid_token_is_healthy_and_says_how_long_it_lasts()
    {
        using var harness = Checked();
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        harness.Time.Advance(TimeSpan.FromSeconds(60));

        var report = await CheckAsync(harness);

        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal(239d, report.Data["expires_in_seconds"]); // 5 minutes less the 1-second margin, a minute later
        Assert.Equal(60d, report.Data["seconds_since_last_token"]);
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task Failing_refreshes_with_a_valid_token_are_degraded_with_the_time_left()
    {
        using var harness = Checked(userDefaults: true);
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.InternalServerError));
        harness.Time.Advance(TimeSpan.FromMinutes(4.5)); // inside the refresh window: callers wait, then keep the old token

        var call = client.GetAsync("items");
        await harness.AdvanceUntilDoneAsync(call, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        (await call).Dispose();

        // The caller stopped waiting; the refresh goes on retrying in the background until it gives up.
        var report = await CheckAsync(harness);
        for (var step = 0; step < 20 && report.Status == HealthStatus.Healthy; step++)
        {
            harness.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(TimeSpan.FromMilliseconds(5), TimeProvider.System);
            report = await CheckAsync(harness);
        }

        Assert.Equal(HealthStatus.Degraded, report.Status);
        Assert.Contains("refreshing fails (invalid_response)", report.Description, StringComparison.Ordinal);
        Assert.Contains("still valid for", report.Description, StringComparison.Ordinal);
        Assert.Equal("invalid_response", report.Data["last_error"]);
    }

    [Fact]
    public async Task A_token_that_expired_during_an_outage_is_unhealthy()
    {
        using var harness = Checked(userDefaults: true);
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        harness.TokenNetwork.Fault = new HttpRequestException(HttpRequestError.ConnectionError, "connection refused");
        harness.Time.Advance(TimeSpan.FromMinutes(5));

        var call = client.GetAsync("items");
        await harness.AdvanceUntilDoneAsync(call, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        await Assert.ThrowsAsync<OfflineBearerException>(() => call);
        var report = await CheckAsync(harness);

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Contains("has no valid token: the last token request failed (network)", report.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recovery_after_an_outage_is_healthy_again()
    {
        using var harness = Checked();
        using var client = harness.CreateClient();
        harness.TokenNetwork.Fault = new HttpRequestException(HttpRequestError.ConnectionError, "connection refused");
        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
        harness.TokenNetwork.Fault = null;
        harness.Time.Advance(TimeSpan.FromSeconds(1));

        (await client.GetAsync("items")).Dispose();

        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(harness)).Status);
    }

    [Fact]
    public async Task A_wrong_secret_is_unhealthy_at_once_and_says_to_update_the_secret()
    {
        using var harness = Checked();
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error("invalid_client", "Invalid client credentials"), HttpStatusCode.Unauthorized));
        using var client = harness.CreateClient();
        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        var report = await CheckAsync(harness);

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Contains("Update ClientSecret", report.Description, StringComparison.Ordinal);
        Assert.Equal("invalid_client", report.Data["last_error"]);
    }

    [Fact]
    public async Task A_public_clients_refused_offline_token_is_unhealthy_at_once_although_its_token_is_valid()
    {
        using var harness = Checked(configure: o =>
        {
            o.ClientSecret = null;
            o.RefreshToken = "offline-token-of-a-sensor";
        });
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error("invalid_grant", "Offline user session not found"), HttpStatusCode.BadRequest));
        harness.Time.Advance(TimeSpan.FromMinutes(4.5)); // the refresh window: the refresh is refused, the caller keeps its token
        using var stillServed = await client.GetAsync("items");

        var report = await CheckAsync(harness);

        Assert.Equal(HttpStatusCode.OK, stillServed.StatusCode);
        Assert.True((double)report.Data["expires_in_seconds"] > 0);
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Contains("refused the offline token (invalid_grant)", report.Description, StringComparison.Ordinal);
        Assert.Contains("offline-token login", report.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_RequestToken_the_check_gets_a_token_when_there_is_none()
    {
        using var harness = Checked(health: o => o.RequestToken = true);

        var report = await CheckAsync(harness);

        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task A_check_is_added_for_each_client_or_for_the_named_ones_with_their_tags()
    {
        using var harness = Checked(
            services: s => s.AddHttpClient("reports").AddOfflineBearerHandler(o =>
            {
                o.TokenEndpoint = Harness.TokenEndpoint;
                o.ClientId = "reports";
                o.ClientSecret = "reports-secret";
            }));
        using var named = Checked(health: o =>
        {
            o.ClientNames.Add(Harness.ClientName);
            o.Tags.Add("ready");
        });

        var all = await harness.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var one = await named.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains("ready"));

        Assert.Equal(["offlinebearer:inventory", "offlinebearer:reports"], all.Entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["offlinebearer:inventory"], one.Entries.Keys);
    }

    private static Harness Checked(
        bool userDefaults = false,
        Action<OfflineBearerOptions>? configure = null,
        Action<OfflineBearerHealthCheckOptions>? health = null,
        Action<IServiceCollection>? services = null) =>
        new(configure, s =>
        {
            s.AddHealthChecks().AddOfflineBearer(health);
            services?.Invoke(s);
        }, userDefaults);

    private static async Task<HealthReportEntry> CheckAsync(Harness harness)
    {
        var report = await harness.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return report.Entries[$"offlinebearer:{Harness.ClientName}"];
    }
}
