using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests.Testing;

/// <summary>The ledger: requests by client and grant, API answers, and the refresh token lineage behind its assertion.</summary>
[Collection(SharedDevServers.Name)]
public sealed class TokenLedgerTests(DevServerFixture servers)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_refresh_token_presented_twice_fails_the_assertion_naming_the_client_and_its_lineage_never_the_token(bool rotating)
    {
        await using var harness = DevServerHarness.Create(rotating ? servers.Rotating : servers.NonRotating); // replays other tests made on purpose are not this test's
        var server = harness.Server;
        using var http = new HttpClient();
        var first = await RefreshTokenAsync(http, server, new() { ["grant_type"] = "client_credentials", ["scope"] = TestTokenServer.OfflineScope });
        var second = await RefreshTokenAsync(http, server, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = first! });
        server.Ledger.AssertNoRefreshTokenPresentedTwice();

        server.Ledger.Reset(); // a replay across a reset is still one
        await RefreshTokenAsync(http, server, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = first! });

        var failure = Assert.Throws<TokenLedgerAssertionException>(server.Ledger.AssertNoRefreshTokenPresentedTwice);
        Assert.Contains($"client '{TestTokenServer.PostClientId}'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("by a client_credentials grant", failure.Message, StringComparison.Ordinal);
        Assert.Contains("was presented 2 times", failure.Message, StringComparison.Ordinal);
        Assert.Contains(": " + harness.Time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture) + " (accepted), ", failure.Message, StringComparison.Ordinal);
        // A rotating server refuses the replay (and revokes the session); a non-rotating one accepts it: both are reported.
        Assert.True(failure.Message.EndsWith("(accepted)", StringComparison.Ordinal) != rotating, failure.Message);
        Assert.DoesNotContain(first!, failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(second!, failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Ledger.RefreshTokensPresentedAgain);

        // Once reported, a later period starts clean.
        server.Ledger.Reset();
        server.Ledger.AssertNoRefreshTokenPresentedTwice();
    }

    [Fact]
    public async Task Token_requests_are_counted_by_client_and_grant()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("basic");
        await harness.AddPublicClientAsync("public");
        Assert.Equal(HttpStatusCode.OK, await harness.PingAsync("basic"));
        Assert.Equal(HttpStatusCode.OK, await harness.PingAsync("public"));

        var ledger = harness.Ledger;
        Assert.Equal(1, ledger.TokenRequests(TestTokenServer.BasicClientId, "client_credentials"));
        Assert.Equal(0, ledger.TokenRequests(TestTokenServer.BasicClientId, "refresh_token"));
        Assert.Equal(1, ledger.TokenRequests(TestTokenServer.PublicClientId, "password"));
        Assert.Equal(1, ledger.TokenRequests(TestTokenServer.PublicClientId, "refresh_token"));
        Assert.Equal(2, ledger.TokenRequests(grant: null, clientId: TestTokenServer.PublicClientId));
        Assert.Equal(3, ledger.TokenRequests());
        Assert.Equal(0, ledger.TokenRequests("no-such-client"));
    }

    [Fact]
    public async Task Api_requests_are_counted_by_answer_and_an_expired_token_is_told_apart()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var token = await AccessTokenAsync(harness.Server);
        using var http = new HttpClient();

        Assert.Equal(HttpStatusCode.OK, await PingWithAsync(http, harness.Server, token));
        harness.AdvancePastExpiry();
        Assert.Equal(HttpStatusCode.Unauthorized, await PingWithAsync(http, harness.Server, token));
        Assert.Equal(HttpStatusCode.Unauthorized, await PingWithAsync(http, harness.Server, "not-a-token"));

        var ledger = harness.Ledger;
        Assert.Equal(3, ledger.ApiRequests());
        Assert.Equal(1, ledger.ApiRequests(rejected: false));
        Assert.Equal(2, ledger.ApiRequests(rejected: true));
        Assert.Equal(1, ledger.ApiRequests(expired: true));
        Assert.Equal(1, ledger.ApiRequests(rejected: true, expired: false));
    }

    internal static async Task<string> AccessTokenAsync(TestTokenServer server)
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(server.TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = TestTokenServer.PostClientId,
            ["client_secret"] = TestTokenServer.PostClientSecret,
        }));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }

    internal static async Task<HttpStatusCode> PingWithAsync(HttpClient http, TestTokenServer server, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.ApiUrl, "ping"));
        request.Headers.Authorization = new("Bearer", token);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<string?> RefreshTokenAsync(HttpClient http, TestTokenServer server, Dictionary<string, string> form)
    {
        form["client_id"] = TestTokenServer.PostClientId;
        form["client_secret"] = TestTokenServer.PostClientSecret;
        using var response = await http.PostAsync(server.TokenEndpoint, new FormUrlEncodedContent(form));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.TryGetProperty("refresh_token", out var refreshToken) ? refreshToken.GetString() : null;
    }
}
