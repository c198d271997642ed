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
    public async Task A_redeemed_refresh_token_presented_again_fails_the_assertion_naming_the_client_and_its_lineage_never_the_token(bool rotating)
    {
        await using var harness = DevServerHarness.Create(rotating ? servers.Rotating : servers.NonRotating); // replays other tests made on purpose are not this test's
        var server = harness.Server;
        using var http = new HttpClient();
        var first = await RefreshTokenAsync(http, server, new() { ["grant_type"] = "client_credentials", ["scope"] = TestTokenServer.OfflineScope });
        var second = await RefreshTokenAsync(http, server, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = first! });
        var third = await RefreshTokenAsync(http, server, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = second! });
        server.Ledger.AssertNoRefreshTokenPresentedTwice();
        Assert.Equal(0, server.Ledger.RefreshTokensPresentedAgain);

        server.Ledger.Reset(); // a replay across a reset is still one
        await RefreshTokenAsync(http, server, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = second! });
        await RefreshTokenAsync(http, server, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = first! });

        var failure = Assert.Throws<TokenLedgerAssertionException>(server.Ledger.AssertNoRefreshTokenPresentedTwice);
        var message = failure.Message;
        Assert.StartsWith("2 refresh token(s) were presented again after they were redeemed", message, StringComparison.Ordinal);
        // Numbered in the order the server issued them (the shared server has issued others before): #n came from #n-1.
        var lineage = System.Text.RegularExpressions.Regex.Match(
            message, $"refresh token #(\\d+) of client '{TestTokenServer.PostClientId}', issued at .* by the refresh that presented refresh token #(\\d+),");
        Assert.True(lineage.Success, message);
        Assert.Equal(int.Parse(lineage.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) - 1, int.Parse(lineage.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("was presented 2 times", message, StringComparison.Ordinal);
        Assert.Contains("by a client_credentials grant, was presented 2 times", message, StringComparison.Ordinal); // the first token
        Assert.True(message.IndexOf("by a client_credentials grant", StringComparison.Ordinal) < message.IndexOf("by the refresh that presented", StringComparison.Ordinal), message); // oldest first
        Assert.Contains(": " + harness.Time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture) + " (accepted), ", message, StringComparison.Ordinal);
        // A rotating server refuses a replay (and revokes the session); a non-rotating one accepts it: both are reported.
        Assert.True(message.EndsWith("(accepted)", StringComparison.Ordinal) != rotating, message);
        Assert.Equal(2, server.Ledger.RefreshTokensPresentedAgain);
        Assert.Equal(rotating ? 1 : 0, server.Ledger.ReusedRefreshTokens); // the first replay revoked the family; the second meets a revoked token
        foreach (var token in new[] { first!, second!, third! })
        {
            Assert.DoesNotContain(token, message, StringComparison.Ordinal);
        }

        // Once reported, a later period starts clean.
        server.Ledger.Reset();
        server.Ledger.AssertNoRefreshTokenPresentedTwice();
    }

    [Fact]
    public async Task A_refused_refresh_token_sent_again_is_no_replay_as_after_a_DPoP_nonce_challenge()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        using var http = new HttpClient();

        for (var attempt = 0; attempt < 3; attempt++)
        {
            Assert.Null(await RefreshTokenAsync(http, harness.Server, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = "made-up" }));
        }

        harness.Ledger.AssertNoRefreshTokenPresentedTwice();
        Assert.Equal(0, harness.Ledger.RefreshTokensPresentedAgain);
        Assert.Equal(3, harness.Ledger.FailedTokenRequests);
        Assert.Equal(3, harness.Ledger.TokenRequests(TestTokenServer.PostClientId, "refresh_token"));
    }

    [Fact]
    public async Task Reset_sets_the_device_authorization_count_back_to_zero()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        using var http = new HttpClient();
        using var device = await http.PostAsync(harness.Server.DeviceAuthorizationEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = TestTokenServer.PublicClientId,
            ["scope"] = TestTokenServer.OfflineScope,
        }));
        Assert.Equal(1, harness.Ledger.DeviceAuthorizationRequests);

        harness.Ledger.Reset();

        Assert.Equal(0, harness.Ledger.DeviceAuthorizationRequests);
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
