using OfflineBearer.IntegrationTests.Support;
using static OfflineBearer.IntegrationTests.Testing.TokenEndpointCalls;

namespace OfflineBearer.IntegrationTests.Testing;

/// <summary>
/// <c>resource</c> (RFC 8707) on every grant and <c>audience</c> on client credentials, jwt-bearer and token exchange:
/// registered values become the access token's <c>aud</c>; others are <c>invalid_target</c>; <c>audience</c> on a refresh is <c>invalid_request</c>.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class ResourceAndAudienceTests(DevServerFixture servers)
{
    [Fact]
    public async Task Client_credentials_take_resource_and_audience_and_the_token_carries_them_as_aud_through_a_refresh()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);

        var granted = await PostAsync(harness.Server,
        [
            ("grant_type", "client_credentials"), ("scope", TestTokenServer.OfflineScope),
            ("resource", TestTokenServer.ApiResource), ("audience", TestTokenServer.ApiAudience), .. PostClient,
        ]);
        var refreshed = await PostAsync(harness.Server, [("grant_type", "refresh_token"), ("refresh_token", granted.RefreshToken!), ("resource", TestTokenServer.ApiResource), .. PostClient]);

        Assert.Equal([TestTokenServer.ApiResource, TestTokenServer.ApiAudience], Strings(granted.Claims, "aud"));
        Assert.Null(refreshed.Error);
        Assert.Equal([TestTokenServer.ApiResource, TestTokenServer.ApiAudience], Strings(refreshed.Claims, "aud")); // the grant's targets
        var logged = harness.Ledger.TokenRequestLog;
        Assert.Equal([TestTokenServer.ApiResource], logged[0].Values("resource"));
        Assert.Equal([TestTokenServer.ApiAudience], logged[0].Values("audience"));
    }

    [Fact]
    public async Task Audience_on_a_refresh_is_invalid_request_and_leaves_the_refresh_token_usable()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var granted = await PostAsync(harness.Server, [("grant_type", "client_credentials"), ("scope", TestTokenServer.OfflineScope), .. PostClient]);

        var withAudience = await PostAsync(harness.Server,
            [("grant_type", "refresh_token"), ("refresh_token", granted.RefreshToken!), ("audience", TestTokenServer.ApiAudience), .. PostClient]);
        var without = await PostAsync(harness.Server, [("grant_type", "refresh_token"), ("refresh_token", granted.RefreshToken!), .. PostClient]);

        Assert.Equal("invalid_request", withAudience.Error);
        Assert.Contains("'audience' parameter is not taken with the 'refresh_token' grant", withAudience.Description, StringComparison.Ordinal);
        Assert.Null(without.Error);
        Assert.Equal("invalid_request", harness.Ledger.TokenRequestLog[1].Error);
        Assert.Equal(TestTokenServer.ApiAudience, harness.Ledger.TokenRequestLog[1].Value("audience"));
    }

    [Fact]
    public async Task The_password_grant_takes_resource_but_not_audience()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        IEnumerable<(string, string)> password =
            [("grant_type", "password"), ("client_id", TestTokenServer.PublicClientId), ("username", TestTokenServer.UserName), ("password", TestTokenServer.Password)];

        var withResource = await PostAsync(harness.Server, [.. password, ("resource", TestTokenServer.ApiResource)]);
        var withAudience = await PostAsync(harness.Server, [.. password, ("audience", TestTokenServer.ApiAudience)]);

        Assert.Equal([TestTokenServer.ApiResource], Strings(withResource.Claims, "aud"));
        Assert.Equal("invalid_request", withAudience.Error);
    }

    [Theory]
    [InlineData("resource", "https://unknown.offlinebearer.test/")]
    [InlineData("audience", "unknown-api")]
    public async Task An_unregistered_resource_or_audience_is_invalid_target(string parameter, string value)
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);

        var answer = await PostAsync(harness.Server, [("grant_type", "client_credentials"), (parameter, value), .. PostClient]);

        Assert.Equal("invalid_target", answer.Error);
    }

    [Fact]
    public async Task Options_register_more_resources_and_audiences_and_each_may_repeat()
    {
        await using var server = await TestTokenServer.StartAsync(o =>
        {
            o.Resources.Add("https://reports.offlinebearer.test/");
            o.Audiences.Add("reports");
            o.ConfigureLogging = _ => { };
        });

        var answer = await PostAsync(server,
        [
            ("grant_type", "client_credentials"), ("resource", TestTokenServer.ApiResource), ("resource", "https://reports.offlinebearer.test/"),
            ("audience", "reports"), ("audience", TestTokenServer.ApiAudience), .. PostClient,
        ]);

        Assert.Equal(
            [TestTokenServer.ApiResource, "https://reports.offlinebearer.test/", "reports", TestTokenServer.ApiAudience],
            Strings(answer.Claims, "aud"));
    }

    [Fact]
    public async Task A_resource_must_be_an_absolute_uri_without_fragment_and_an_audience_not_empty()
    {
        var relative = await Assert.ThrowsAsync<ArgumentException>(() => TestTokenServer.StartAsync(o => o.Resources.Add("api")));
        var fragment = await Assert.ThrowsAsync<ArgumentException>(() => TestTokenServer.StartAsync(o => o.Resources.Add("https://api.test/#x")));
        var empty = await Assert.ThrowsAsync<ArgumentException>(() => TestTokenServer.StartAsync(o => o.Audiences.Add(" ")));

        Assert.Contains("'api' is not", relative.Message, StringComparison.Ordinal);
        Assert.Contains("'https://api.test/#x' is not", fragment.Message, StringComparison.Ordinal);
        Assert.Contains("Audiences", empty.Message, StringComparison.Ordinal);
    }
}
