using System.Net;
using Microsoft.Extensions.Configuration;
using OfflineBearer.IntegrationTests.Support;
using OfflineBearer.Testing;

namespace OfflineBearer.IntegrationTests;

/// <summary>
/// Workload identity, jwt-bearer and token exchange end to end (#21), against the development server's stand-in
/// Kubernetes issuer, with the options a user sets and the retries a user gets.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class WorkloadIdentityTests(DevServerFixture servers) : IDisposable
{
    private const int Callers = 16;
    private readonly string _directory = Directory.CreateTempSubdirectory("offlinebearer-it-workload-").FullName;

    private string TokenFile => Path.Combine(_directory, "sso-token");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_projected_token_replaced_every_two_seconds_under_sixteen_callers_for_a_minute_fails_no_call_and_is_always_sent_as_it_is()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var written = new List<(DateTimeOffset At, string Token)> { Write(harness) };
        harness.AddClient("inventory", o =>
        {
            o.ClientId = TestTokenServer.WorkloadClientId;
            o.ClientAuthentication = ClientAuthenticationMethod.ClientAssertion;
            o.ClientAssertionPath = TokenFile;
            o.Scope = TestTokenServer.ApiScope;
        });
        var client = harness.CreateClient("inventory");
        var failed = 0;

        for (var step = 0; step < 30; step++)
        {
            var statuses = await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => DevServerHarness.PingAsync(client)));
            failed += statuses.Count(status => status != HttpStatusCode.OK);
            await QuietAsync(harness);
            harness.Time.Advance(TimeSpan.FromSeconds(2));
            written.Add(Write(harness));
        }

        var requests = harness.Ledger.TokenRequestLog;
        Assert.Equal(0, failed);
        Assert.InRange(requests.Count, 6, 12); // 10-second tokens refreshed at 70-80 % of their life, for a minute
        Assert.All(requests, request =>
        {
            Assert.Null(request.Error);
            Assert.Equal(TestTokenServer.WorkloadClientId, request.ClientId);
            Assert.Null(request.Value("client_id"));
            var current = written.Last(file => file.At <= request.ReceivedAt).Token;
            Assert.True(request.Value("client_assertion") == current, "A token request carried an assertion other than the file's current one.");
        });
    }

    [Fact]
    public async Task An_expired_projected_token_is_not_sent_and_a_renewed_one_is_used_at_the_next_request()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        File.WriteAllText(TokenFile, harness.Server.WorkloadIssuer.CreateToken(lifetime: TimeSpan.FromMinutes(1)));
        harness.AddClient("inventory", o =>
        {
            o.ClientId = TestTokenServer.WorkloadClientId;
            o.ClientAuthentication = ClientAuthenticationMethod.ClientAssertion;
            o.ClientAssertionPath = TokenFile;
        });
        harness.Time.Advance(TimeSpan.FromMinutes(2));

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => harness.SendPingAsync("inventory"));
        Write(harness);
        harness.Time.Advance(TimeSpan.FromSeconds(2)); // past the pause after a failure without a token
        using var renewed = await harness.SendPingAsync("inventory");

        Assert.Contains("expired at", error.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        Assert.Single(harness.Ledger.TokenRequestLog);
    }

    [Fact]
    public async Task The_jwt_bearer_grant_trades_the_platforms_token_for_an_access_token_of_its_subject()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var assertion = Write(harness).Token;
        harness.AddClient("inventory", o =>
        {
            o.ClientId = TestTokenServer.BasicClientId;
            o.ClientSecret = TestTokenServer.BasicClientSecret;
            o.Grant = OfflineBearerGrant.JwtBearer;
            o.ClientAssertionPath = TokenFile;
            o.Scope = TestTokenServer.ApiScope;
            o.Resource.Add(TestTokenServer.ApiResource);
        });

        using var response = await harness.SendPingAsync("inventory");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((TestTokenServer.BasicClientId, TestTokenServer.WorkloadSubject), await DevServerHarness.ReadCallerAsync(response));
        var request = Assert.Single(harness.Ledger.TokenRequestLog);
        Assert.Equal("urn:ietf:params:oauth:grant-type:jwt-bearer", request.GrantType);
        Assert.Equal(assertion, request.Value("assertion"));
        Assert.Equal([TestTokenServer.ApiResource], request.Values("resource"));
    }

    [Fact]
    public async Task A_token_exchange_presents_the_upstream_clients_current_token_and_keeps_its_subject()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        AddExchangingClient(harness, o =>
        {
            o.SubjectTokenClient = "gateway";
            o.Audience = TestTokenServer.ApiAudience;
            o.Scope = TestTokenServer.ApiScope;
        });

        using var first = await harness.SendPingAsync("orders");
        harness.AdvancePastExpiry();
        using var second = await harness.SendPingAsync("orders");

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((TestTokenServer.PostClientId, TestTokenServer.BasicClientId), await DevServerHarness.ReadCallerAsync(second));
        var exchanges = harness.Ledger.TokenRequestLog.Where(request => request.GrantType == "urn:ietf:params:oauth:grant-type:token-exchange").ToArray();
        var upstream = harness.Ledger.TokenRequestLog.Where(request => request.ClientId == TestTokenServer.BasicClientId).ToArray();
        Assert.Equal(2, exchanges.Length);
        Assert.Equal(2, upstream.Length);
        Assert.All(exchanges, exchange =>
        {
            Assert.Null(exchange.Error);
            Assert.Equal(TestTokenServer.ApiAudience, exchange.Value("audience"));
        });
        Assert.NotEqual(exchanges[0].Value("subject_token"), exchanges[1].Value("subject_token"));
    }

    [Fact]
    public async Task A_token_exchange_reads_its_subject_token_from_a_file_and_the_server_takes_it()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        AddExchangingClient(harness, o =>
        {
            o.SubjectTokenPath = TokenFile;
            o.Resource.Add(TestTokenServer.ApiResource);
        });
        Assert.Equal(HttpStatusCode.OK, await harness.PingAsync("gateway"));
        var subject = harness.BearerTokensSent("gateway").Single();
        File.WriteAllText(TokenFile, subject + "\n");

        using var response = await harness.SendPingAsync("orders");

        Assert.Equal((TestTokenServer.PostClientId, TestTokenServer.BasicClientId), await DevServerHarness.ReadCallerAsync(response));
        var exchange = harness.Ledger.TokenRequestLog.Single(request => request.ClientId == TestTokenServer.PostClientId);
        Assert.Null(exchange.Error);
        Assert.Equal(subject, exchange.Value("subject_token"));
        Assert.Equal([TestTokenServer.ApiResource], exchange.Values("resource"));
    }

    [Fact]
    public async Task A_DPoP_client_exchanges_a_bearer_token_for_one_bound_to_its_own_key()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        AddExchangingClient(harness, o =>
        {
            o.SubjectTokenClient = "gateway";
            o.DPoP = true;
        });

        using var first = await harness.SendPingAsync("orders");
        harness.AdvancePastExpiry();
        using var second = await harness.SendPingAsync("orders");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((TestTokenServer.PostClientId, TestTokenServer.BasicClientId), await DevServerHarness.ReadCallerAsync(second));
        Assert.Equal(2, harness.Ledger.ApiDPoPProofsAccepted);
        Assert.Equal(0, harness.Ledger.FailedTokenRequests);
    }

    [Fact]
    public async Task A_secret_file_rotated_mid_run_with_the_server_is_used_with_no_failed_call()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new TestTokenServerOptions { TimeProvider = time, Clients = { "rotating" } };
        await using var server = await TestTokenServer.StartAsync(options);
        await using var harness = DevServerHarness.Create(new SharedDevServer(server, time, options.AccessTokenLifetime));
        var secretFile = Path.Combine(_directory, "secret");
        File.WriteAllText(secretFile, TestTokenServer.SecretOf("rotating") + "\n");
        harness.AddClient("rotating", o =>
        {
            o.ClientId = "rotating";
            o.ClientSecretPath = secretFile;
            o.Scope = TestTokenServer.ApiScope;
        });
        var client = harness.CreateClient("rotating");
        Assert.Equal(HttpStatusCode.OK, await DevServerHarness.PingAsync(client));

        await server.SetClientSecretAsync("rotating", "rotated-secret");
        File.WriteAllText(secretFile, "rotated-secret");
        harness.AdvancePastExpiry();

        Assert.Equal(HttpStatusCode.OK, await DevServerHarness.PingAsync(client));
        Assert.Equal(2, harness.Ledger.TokenRequests("rotating", "client_credentials"));
        Assert.Equal(0, harness.Ledger.FailedTokenRequests);
    }

    [Fact]
    public async Task A_secret_the_server_does_not_accept_yet_keeps_the_valid_token_serving_and_names_its_file()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new TestTokenServerOptions { TimeProvider = time, Clients = { "rotating" } };
        await using var server = await TestTokenServer.StartAsync(options);
        await using var harness = DevServerHarness.Create(new SharedDevServer(server, time, options.AccessTokenLifetime));
        var secretFile = Path.Combine(_directory, "secret");
        File.WriteAllText(secretFile, TestTokenServer.SecretOf("rotating"));
        harness.AddClient("rotating", o =>
        {
            o.ClientId = "rotating";
            o.ClientSecretPath = secretFile;
        });
        var client = harness.CreateClient("rotating");
        Assert.Equal(HttpStatusCode.OK, await DevServerHarness.PingAsync(client));

        File.WriteAllText(secretFile, "not-yet-accepted");
        harness.Time.Advance(TimeSpan.FromSeconds(7)); // in the refresh window of the 10-second token (valid until 9 s)
        Assert.Equal(HttpStatusCode.OK, await DevServerHarness.PingAsync(client));
        await QuietAsync(harness);
        harness.Time.Advance(TimeSpan.FromSeconds(2));
        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => harness.SendPingAsync("rotating"));

        Assert.Equal("invalid_client", error.Error);
        Assert.Contains($"ClientSecretPath '{secretFile}'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-yet-accepted", error.ToString(), StringComparison.Ordinal);

        // The server takes the new secret: a second later the client asks again (no five-minute pause, as after a
        // refusal that would repeat) and gets a token.
        await server.SetClientSecretAsync("rotating", "not-yet-accepted");
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, await DevServerHarness.PingAsync(client));
        // One token, the background refresh refused, the expired call's own request refused, and the token after.
        Assert.Equal(2, harness.Ledger.FailedTokenRequests);
        Assert.Equal(4, harness.Ledger.TokenRequestLog.Count);
    }

    [Fact]
    public async Task A_workload_client_bound_from_configuration_sends_its_resources_with_every_grant_and_its_audience_never_with_a_refresh()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        Write(harness);
        harness.AddConfiguredClient("inventory", new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Authority"] = harness.Server.Authority.ToString(),
            ["ClientId"] = TestTokenServer.WorkloadClientId,
            ["ClientAuthentication"] = "ClientAssertion",
            ["ClientAssertionPath"] = TokenFile,
            ["Scope"] = TestTokenServer.OfflineScope,
            ["Resource:0"] = TestTokenServer.ApiResource,
            ["Audience"] = TestTokenServer.ApiAudience,
        }).Build());

        using var first = await harness.SendPingAsync("inventory");
        harness.AdvancePastExpiry();
        using var second = await harness.SendPingAsync("inventory");

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var requests = harness.Ledger.TokenRequestLog;
        Assert.Equal(["client_credentials", "refresh_token"], requests.Select(request => request.GrantType));
        Assert.All(requests, request =>
        {
            Assert.Null(request.Error);
            Assert.Equal([TestTokenServer.ApiResource], request.Values("resource"));
        });
        Assert.Equal(TestTokenServer.ApiAudience, requests[0].Value("audience"));
        Assert.Null(requests[1].Value("audience"));
    }

    [Fact]
    public async Task Configuration_reloaded_to_another_client_starts_its_session_without_the_old_clients_refresh_token()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Authority"] = harness.Server.Authority.ToString(),
            ["ClientId"] = TestTokenServer.BasicClientId,
            ["ClientSecret"] = TestTokenServer.BasicClientSecret,
            ["Scope"] = TestTokenServer.OfflineScope,
        }).Build();
        harness.AddConfiguredClient("inventory", configuration);
        var client = harness.CreateClient("inventory");
        Assert.Equal(HttpStatusCode.OK, await DevServerHarness.PingAsync(client));

        configuration["ClientId"] = TestTokenServer.PostClientId;
        configuration["ClientSecret"] = TestTokenServer.PostClientSecret;
        configuration["ClientAuthentication"] = "ClientSecretPost";
        configuration.Reload();
        using var afterReload = await client.GetAsync("ping");
        harness.AdvancePastExpiry();
        using var later = await client.GetAsync("ping");

        Assert.Equal((TestTokenServer.PostClientId, TestTokenServer.PostClientId), await DevServerHarness.ReadCallerAsync(afterReload));
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        Assert.Equal(1, harness.Ledger.TokenRequests(TestTokenServer.BasicClientId));
        Assert.Equal(1, harness.Ledger.TokenRequests(TestTokenServer.PostClientId, "client_credentials"));
        Assert.Equal(1, harness.Ledger.TokenRequests(TestTokenServer.PostClientId, "refresh_token"));
        Assert.Equal(0, harness.Ledger.FailedTokenRequests);
        harness.Ledger.AssertNoRefreshTokenPresentedTwice();
    }

    /// <summary>The basic client "gateway" and the post client "orders", which exchanges tokens, with <paramref name="configure"/> on top.</summary>
    private static void AddExchangingClient(DevServerHarness harness, Action<OfflineBearerOptions> configure)
    {
        harness.AddBasicClient("gateway", scope: TestTokenServer.ApiScope);
        harness.AddClient("orders", o =>
        {
            o.ClientId = TestTokenServer.PostClientId;
            o.ClientSecret = TestTokenServer.PostClientSecret;
            o.ClientAuthentication = ClientAuthenticationMethod.ClientSecretPost;
            o.Grant = OfflineBearerGrant.TokenExchange;
            configure(o);
        });
    }

    private (DateTimeOffset At, string Token) Write(DevServerHarness harness)
    {
        var token = harness.Server.WorkloadIssuer.CreateToken();
        File.WriteAllText(TokenFile, token);
        return (harness.Time.GetUtcNow(), token);
    }

    /// <summary>Until no token request is in flight: a background refresh lands before the clock moves on.</summary>
    private static async Task QuietAsync(DevServerHarness harness)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (var quiet = 0; quiet < 3; quiet = harness.Ledger.RequestsInFlight == 0 ? quiet + 1 : 0)
        {
            await Task.Delay(5, limit.Token);
        }
    }
}
