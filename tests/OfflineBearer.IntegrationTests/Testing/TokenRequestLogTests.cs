using System.Net;
using System.Net.Http.Headers;
using System.Text;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests.Testing;

/// <summary><see cref="TokenLedger.TokenRequestLog"/>: each answered token request with its form parameters as the client sent them.</summary>
[Collection(SharedDevServers.Name)]
public sealed class TokenRequestLogTests(DevServerFixture servers)
{
    [Fact]
    public async Task Each_answered_request_is_logged_in_order_with_its_form_parameters_as_sent()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var server = harness.Server;
        using var http = new HttpClient();
        var receivedAt = harness.Time.GetUtcNow();

        using var basic = new HttpRequestMessage(HttpMethod.Post, server.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("scope", TestTokenServer.ApiScope), new("extra", "one"), new("extra", "two")]),
        };
        basic.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes($"{TestTokenServer.BasicClientId}:{TestTokenServer.BasicClientSecret}")));
        using (var answer = await http.SendAsync(basic))
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        harness.Time.Advance(TimeSpan.FromSeconds(3));
        using (var refused = await http.PostAsync(server.TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = TestTokenServer.PostClientId,
            ["client_secret"] = "wrong",
        })))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        var log = server.Ledger.TokenRequestLog;
        Assert.Equal(2, log.Count);
        var first = log[0];
        Assert.Equal(TestTokenServer.BasicClientId, first.ClientId); // taken from the Basic header...
        Assert.Null(first.Value("client_id"));                      // ...which the form did not carry
        Assert.Null(first.Value("client_secret"));
        Assert.Equal("client_credentials", first.GrantType);
        Assert.Null(first.Error);
        Assert.Equal(receivedAt, first.ReceivedAt);
        Assert.Equal(TestTokenServer.ApiScope, first.Value("scope"));
        Assert.Equal(["one", "two"], first.Values("extra"));
        Assert.Equal("one", first.Value("extra"));
        Assert.Empty(first.Values("resource"));
        Assert.Null(first.Value("Scope")); // names are case-sensitive

        var second = log[1];
        Assert.Equal(TestTokenServer.PostClientId, second.ClientId);
        Assert.Equal(TestTokenServer.PostClientId, second.Value("client_id"));
        Assert.Equal("wrong", second.Value("client_secret"));
        Assert.Equal("invalid_client", second.Error);
        Assert.Equal(receivedAt + TimeSpan.FromSeconds(3), second.ReceivedAt);
        Assert.Equal(2, server.Ledger.TokenRequests());
        Assert.Equal(1, server.Ledger.FailedTokenRequests);
    }

    [Fact]
    public async Task The_log_names_parameters_but_never_their_values_and_Reset_empties_it()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        using var http = new HttpClient();
        using (await http.PostAsync(harness.Server.TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = TestTokenServer.PostClientId,
            ["client_secret"] = TestTokenServer.PostClientSecret,
        })))
        {
        }

        var entry = Assert.Single(harness.Ledger.TokenRequestLog);
        Assert.Equal("post-client client_credentials (ok) [grant_type, client_id, client_secret]", entry.ToString());
        Assert.DoesNotContain(TestTokenServer.PostClientSecret, entry.ToString(), StringComparison.Ordinal);

        harness.Ledger.Reset();

        Assert.Empty(harness.Ledger.TokenRequestLog);
        Assert.Equal(TestTokenServer.PostClientSecret, entry.Value("client_secret")); // a list already read stays as it was
    }
}
