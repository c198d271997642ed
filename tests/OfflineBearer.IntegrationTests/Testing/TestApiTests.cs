using System.Net;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests.Testing;

/// <summary>The protected API's switches, met by a handler with the defaults a user gets.</summary>
[Collection(SharedDevServers.Name)]
public sealed class TestApiTests(DevServerFixture servers)
{
    [Fact]
    public async Task One_refused_token_costs_one_new_token_and_the_call_is_resent()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("inventory");
        Assert.Equal(HttpStatusCode.OK, await harness.PingAsync("inventory"));

        harness.Server.Api.RejectNext(1);

        Assert.Equal(HttpStatusCode.OK, await harness.PingAsync("inventory"));
        Assert.Equal(2, harness.Ledger.TokenRequests(TestTokenServer.BasicClientId));
        Assert.Equal(1, harness.Ledger.ApiRequests(rejected: true));
        Assert.Equal(2, harness.Ledger.ApiRequests(rejected: false));
    }

    [Fact]
    public async Task A_401_storm_fails_the_call_after_one_resend_and_ends_when_the_count_is_spent()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("inventory");
        Assert.Equal(HttpStatusCode.OK, await harness.PingAsync("inventory"));

        harness.Server.Api.RejectNext(2);

        Assert.Equal(HttpStatusCode.Unauthorized, await harness.PingAsync("inventory"));
        Assert.Equal(HttpStatusCode.OK, await harness.PingAsync("inventory"));
        Assert.Equal(2, harness.Ledger.ApiRequests(rejected: true));
    }

    [Fact]
    public async Task A_storm_refuses_exactly_its_count_among_concurrent_calls_and_a_new_storm_replaces_the_old()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var token = await TokenLedgerTests.AccessTokenAsync(harness.Server);
        using var http = new HttpClient();

        harness.Server.Api.RejectNext(5);
        var statuses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => TokenLedgerTests.PingWithAsync(http, harness.Server, token)));
        Assert.Equal(5, statuses.Count(status => status == HttpStatusCode.Unauthorized));

        harness.Server.Api.RejectNext(5);
        harness.Server.Api.RejectNext(1);
        Assert.Equal(HttpStatusCode.Unauthorized, await TokenLedgerTests.PingWithAsync(http, harness.Server, token));
        Assert.Equal(HttpStatusCode.OK, await TokenLedgerTests.PingWithAsync(http, harness.Server, token));

        harness.Server.Api.RejectNext(3);
        harness.Server.Api.Reset();
        Assert.Equal(HttpStatusCode.OK, await TokenLedgerTests.PingWithAsync(http, harness.Server, token));
    }

    [Theory]
    [InlineData("")]
    [InlineData("two scopes")]
    [InlineData("quote\"")]
    [InlineData("back\\slash")]
    [InlineData("caf\u00e9")]
    public void A_required_scope_that_is_not_one_scope_token_is_refused(string scope)
    {
        var failure = Assert.Throws<ArgumentException>(() => servers.Rotating.Server.Api.RequiredScope = scope);
        Assert.StartsWith("RequiredScope must be one scope token", failure.Message, StringComparison.Ordinal);
        Assert.Null(servers.Rotating.Server.Api.RequiredScope);

        servers.Rotating.Server.Api.RequiredScope = "inventory~write!";
        Assert.Equal("inventory~write!", servers.Rotating.Server.Api.RequiredScope);
        servers.Rotating.Server.Api.Reset();
    }

    [Fact]
    public async Task A_required_scope_the_token_lacks_is_answered_403_insufficient_scope_and_costs_no_token()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("inventory");
        harness.Server.Api.RequiredScope = "inventory.write";

        using var response = await harness.SendPingAsync("inventory");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("insufficient_scope", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, harness.Ledger.TokenRequests());

        harness.Server.Api.RequiredScope = TestTokenServer.ApiScope;
        Assert.Equal(HttpStatusCode.OK, await harness.PingAsync("inventory"));
    }
}
