using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

/// <summary>
/// Every test's harness fails it if a log line carries a credential. These tests show that check has teeth (it knows
/// every credential that crossed the wire and finds one in a log line), and hold the token endpoint client to it even
/// where IHttpClientFactory's own logging is involved.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class LogTests(DevServerFixture servers)
{
    [Fact]
    public async Task The_log_check_knows_the_secret_and_every_token_of_a_refreshing_client()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var offlineToken = await harness.GetPublicClientOfflineTokenAsync();
        harness.AddBasicClient("inventory");
        harness.AddClient("device", o =>
        {
            o.ClientId = TestTokenServer.PublicClientId;
            o.RefreshToken = offlineToken;
        });

        var statuses = new[] { await harness.PingAsync("inventory"), await harness.PingAsync("device") };
        harness.AdvancePastExpiry();
        statuses = [.. statuses, await harness.PingAsync("inventory"), await harness.PingAsync("device")];

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        var bearerTokens = harness.BearerTokensSent("inventory").Concat(harness.BearerTokensSent("device")).Distinct().ToList();
        Assert.Equal(4, bearerTokens.Count);
        Assert.All([TestTokenServer.BasicClientSecret, offlineToken, .. bearerTokens], known => Assert.Contains(known, harness.Secrets));

        // Besides the secret, the offline token and the access tokens: the Basic credential, and the four refresh tokens
        // the server issued to the library (one per token request, as rotation hands out a new one each time).
        Assert.Equal(3 + bearerTokens.Count + 4, harness.Secrets.Count);
    }

    [Fact]
    public async Task The_log_check_finds_a_token_in_a_log_line()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("inventory");
        Assert.Equal(HttpStatusCode.OK, await harness.PingAsync("inventory"));
        var token = Assert.Single(harness.BearerTokensSent("inventory"));
        var logger = harness.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Probe");

        logger.Log(LogLevel.Trace, default, token, null, static (state, _) => "A careless line with " + state);
        var leaks = harness.FindLeaks();
        harness.Logs.Clear(); // the planted line must not fail this test on dispose

        Assert.Equal("Probe", Assert.Single(leaks).Category);
    }

    [Fact]
    public async Task The_token_endpoint_client_hands_no_credential_to_log_providers_at_trace_level()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("inventory");

        var status = await harness.PingAsync("inventory");

        Assert.Equal(HttpStatusCode.OK, status);
        // IHttpClientFactory's header events redact their message, but hand every raw header value to the providers as
        // structured state, where a JSON or OpenTelemetry exporter writes it. The library creates this client itself.
        var leaks = harness.FindLeaks(includeHeaderEventValues: true)
            .Where(record => record.Category?.Contains(".OfflineBearer.TokenEndpoint.", StringComparison.Ordinal) == true)
            .ToList();
        Assert.True(leaks.Count == 0, "The Basic credential (client id and secret) reached log providers: " + DevServerHarness.Describe(leaks));
    }
}
