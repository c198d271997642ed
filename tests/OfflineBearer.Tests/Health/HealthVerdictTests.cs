using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Caching;
using OfflineBearer.Health;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.Health;

/// <summary>
/// The verdict and what it tells an operator, for each state a holder can be in; and how the checks are registered.
/// The states are built directly, so every description and datum is pinned exactly.
/// </summary>
public sealed class HealthVerdictTests
{
    private const string Client = "inventory";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_valid_token_is_healthy_with_its_time_left_the_client_and_no_error()
    {
        var result = Evaluate(Token(expiresInSeconds: 300), Succeeded(secondsAgo: 10));

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal("OfflineBearer client 'inventory' holds a valid token, valid for 300 s.", result.Description);
        Assert.Equal(Client, result.Data["client"]);
        Assert.Equal(300d, result.Data["expires_in_seconds"]);
        Assert.Equal(10d, result.Data["seconds_since_last_token"]);
        Assert.False(result.Data.ContainsKey("last_error"));
    }

    [Fact]
    public void A_token_of_unknown_lifetime_is_healthy_without_an_expiry()
    {
        var result = Evaluate(Token(expiresInSeconds: null), Succeeded(secondsAgo: 0));

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal("OfflineBearer client 'inventory' holds a valid token.", result.Description);
        Assert.False(result.Data.ContainsKey("expires_in_seconds"));
        Assert.False(result.Data.ContainsKey("last_error"));
    }

    [Fact]
    public void A_token_that_expired_while_idle_is_healthy_because_the_next_request_gets_one()
    {
        var result = Evaluate(Token(expiresInSeconds: -30), Succeeded(secondsAgo: 400));

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal("OfflineBearer client 'inventory' gets a new token with its next request.", result.Description);
        Assert.Equal(-30d, result.Data["expires_in_seconds"]);
        Assert.Equal(400d, result.Data["seconds_since_last_token"]);
    }

    [Fact]
    public void A_client_without_a_token_or_a_success_has_no_expiry_and_no_age()
    {
        var result = Evaluate(current: null, TokenHealth.Unknown);

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal("OfflineBearer client 'inventory' has not needed a token yet.", result.Description);
        Assert.Equal(["client"], result.Data.Keys);
    }

    [Fact]
    public void Failing_refreshes_with_a_valid_token_are_degraded_with_the_seconds_left_and_the_servers_words()
    {
        var failure = new OfflineBearerException("The token endpoint is unreachable.", new HttpRequestException("refused"));

        var result = Evaluate(Token(expiresInSeconds: 120), Failed(failure));

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal(
            "OfflineBearer client 'inventory': refreshing fails (network); the token in hand is still valid for 120 s. The token endpoint is unreachable.",
            result.Description);
        Assert.Same(failure, result.Exception);
        Assert.Equal("network", result.Data["last_error"]);
    }

    [Fact]
    public void Failing_refreshes_with_a_token_of_unknown_lifetime_are_degraded_for_as_long_as_the_API_accepts_it()
    {
        var result = Evaluate(Token(expiresInSeconds: null), Failed(new OfflineBearerException("Bad gateway.", null, null, HttpStatusCode.BadGateway)));

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains("still valid for as long as the API accepts it. Bad gateway.", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void A_confidential_clients_refused_refresh_token_is_only_degraded_while_its_token_is_valid()
    {
        // It falls back to client_credentials, so no person needs to act yet.
        var result = Evaluate(Token(expiresInSeconds: 120), Failed(Refused("invalid_grant")), isPublicClient: false);

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal("invalid_grant", result.Data["last_error"]);
    }

    [Theory]
    [InlineData("invalid_client")]
    [InlineData("unauthorized_client")]
    public void Refused_credentials_are_unhealthy_at_once_and_say_to_update_the_secret(string error)
    {
        var failure = Refused(error);

        var result = Evaluate(Token(expiresInSeconds: 120), Failed(failure));

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal(
            $"The token server refused this client's credentials ({error}): the secret was rotated, or the client was removed or changed. " +
            "Update ClientSecret (and check ClientId and ClientAuthentication), then restart.",
            result.Description);
        Assert.Same(failure, result.Exception);
        Assert.Equal(error, result.Data["last_error"]);
        Assert.Equal(120d, result.Data["expires_in_seconds"]);
    }

    [Fact]
    public void A_public_clients_refused_offline_token_is_unhealthy_and_says_how_to_get_a_new_one()
    {
        var result = Evaluate(Token(expiresInSeconds: 120), Failed(Refused("invalid_grant")), isPublicClient: true);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal(
            "The token server refused the offline token (invalid_grant): it was revoked, unused too long, or rotated away. Get a new one " +
            "(offline-token login --store DIR --client NAME) and restart.",
            result.Description);
    }

    [Fact]
    public void No_valid_token_after_a_failure_is_unhealthy_with_the_outcome_and_the_message()
    {
        var result = Evaluate(Token(expiresInSeconds: -1), Failed(new OfflineBearerException("Timed out.", new OperationCanceledException())));

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("OfflineBearer client 'inventory' has no valid token: the last token request failed (timeout). Timed out.", result.Description);
    }

    [Fact]
    public async Task A_misconfigured_client_is_unhealthy_and_lists_every_problem()
    {
        using var harness = new Harness(
            o =>
            {
                o.ClientId = "";
                o.TokenEndpoint = null;
            },
            s => s.AddHealthChecks().AddOfflineBearer());

        var entry = (await harness.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries[$"offlinebearer:{Client}"];

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal(
            "OfflineBearer client 'inventory' is misconfigured: OfflineBearer client 'inventory': ClientId is required. " +
            "OfflineBearer client 'inventory': set Authority (for discovery) or TokenEndpoint.",
            entry.Description);
    }

    [Fact]
    public async Task With_RequestToken_a_refused_request_is_reported_not_thrown()
    {
        using var harness = new Harness(services: s => s.AddHealthChecks().AddOfflineBearer(o => o.RequestToken = true));
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error("invalid_client", "Invalid client credentials"), HttpStatusCode.Unauthorized));

        var entry = (await harness.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries[$"offlinebearer:{Client}"];

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("Update ClientSecret", entry.Description, StringComparison.Ordinal);
        Assert.IsType<OfflineBearerException>(entry.Exception);
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task A_client_configured_twice_gets_one_check()
    {
        using var harness = new Harness(services: s =>
        {
            s.AddHealthChecks().AddOfflineBearer();
            s.AddHttpClient(Client).AddOfflineBearerHandler(o => o.Scope = "offline_access");
        });

        var report = await harness.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(["offlinebearer:inventory"], report.Entries.Keys);
    }

    [Fact]
    public async Task Named_clients_get_a_check_and_the_other_clients_none()
    {
        using var harness = new Harness(services: s =>
        {
            s.AddHealthChecks().AddOfflineBearer(o => o.ClientNames.Add("reports"));
            s.AddHttpClient("reports").AddOfflineBearerHandler(o =>
            {
                o.TokenEndpoint = Harness.TokenEndpoint;
                o.ClientId = "reports";
                o.ClientSecret = "reports-secret";
            });
        });

        var report = await harness.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(["offlinebearer:reports"], report.Entries.Keys);
    }

    [Fact]
    public void A_null_builder_is_refused_by_name()
    {
        var error = Assert.Throws<ArgumentNullException>(() => OfflineBearerHealthChecksBuilderExtensions.AddOfflineBearer(null!));

        Assert.Equal("builder", error.ParamName);
    }

    private HealthCheckResult Evaluate(TokenSnapshot? current, TokenHealth health, bool isPublicClient = false) =>
        OfflineBearerHealthCheck.Evaluate(Client, current, health, isPublicClient, _time);

    private TokenSnapshot Token(int? expiresInSeconds)
    {
        var now = _time.GetTimestamp();
        var expiresAt = expiresInSeconds is { } seconds ? now + (seconds * _time.TimestampFrequency) : long.MaxValue;
        return new TokenSnapshot("access-token", expiresAt, expiresAt, expiresAt);
    }

    private TokenHealth Succeeded(int secondsAgo) => new(_time.GetTimestamp() - (secondsAgo * _time.TimestampFrequency), null, null);

    private TokenHealth Failed(OfflineBearerException failure)
    {
        var now = _time.GetTimestamp();
        return new TokenHealth(now - (60 * _time.TimestampFrequency), failure, now);
    }

    private static OfflineBearerException Refused(string error) =>
        new($"The token server refused: {error}.", error, "described by the server", HttpStatusCode.BadRequest);
}
