using System.Net;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.Caching;

/// <summary>
/// Options reloaded from configuration (an <c>IOptionsMonitor</c> change) take effect at the next token request: new
/// credentials keep the token in hand, another client starts a new session that never sees the old one's refresh token,
/// and options that fail validation change nothing. Default resilience options.
/// </summary>
public sealed class ReloadedOptionsTests
{
    private readonly IConfigurationRoot _configuration = new ConfigurationBuilder().AddInMemoryCollection().Build();

    [Fact]
    public async Task A_new_secret_keeps_the_token_in_hand_and_is_sent_with_the_next_token_request()
    {
        using var harness = Reloadable();
        harness.Secret("rotated-secret");
        using var client = harness.CreateClient();
        (await client.GetAsync("first")).Dispose();

        Reload("ClientSecret", "rotated-secret");
        (await client.GetAsync("after-reload")).Dispose();
        Assert.Single(harness.TokenRequests);

        harness.Time.Advance(TimeSpan.FromMinutes(6));
        (await client.GetAsync("next")).Dispose();

        Assert.Equal([Harness.ClientSecret, "rotated-secret"], harness.TokenRequests.Select(SecretOf));
        Assert.Equal(harness.ApiRequests.First().BearerToken, harness.ApiRequests.ElementAt(1).BearerToken);
    }

    [Fact]
    public async Task The_same_client_reloaded_keeps_its_refresh_token_and_its_DPoP_key()
    {
        using var harness = Reloadable(o => o.DPoP = true);
        var refreshToken = harness.IssueRefreshToken();
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)), refreshToken: refreshToken)));
        harness.Secret("rotated-secret");
        using var client = harness.CreateClient();
        (await client.GetAsync("first")).Dispose();

        Reload("ClientSecret", "rotated-secret");
        harness.Time.Advance(TimeSpan.FromMinutes(6));
        (await client.GetAsync("next")).Dispose();

        var (first, next) = (harness.TokenRequests.First(), harness.TokenRequests.Last());
        Assert.Equal("refresh_token", next.GrantType);
        Assert.Equal(refreshToken, next.Form["refresh_token"]);
        Assert.Equal("rotated-secret", SecretOf(next));
        Assert.Equal(ProofKey(first), ProofKey(next));
    }

    [Theory]
    [InlineData("Authority", "https://sso.test/realms/other", false)]
    [InlineData("TokenEndpoint", "https://sso.test/realms/prod/other/token", false)]
    [InlineData("ClientId", "another-client", false)]
    [InlineData("Grant", "JwtBearer", false)]
    [InlineData("SubjectTokenClient", "upstream", false)]
    [InlineData("Authority", "https://sso.test/realms/prod/", true)]
    [InlineData("ClientSecret", "another-secret", true)]
    [InlineData("ClientAuthentication", "ClientSecretPost", true)]
    [InlineData("Scope", "api", true)]
    public void A_client_stays_the_same_client_unless_its_server_id_or_grant_changes(string option, string value, bool same)
    {
        var before = new OfflineBearerOptions { Authority = "https://sso.test/realms/prod", TokenEndpoint = Harness.TokenEndpoint, ClientId = Harness.ClientId };
        var after = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Authority"] = before.Authority,
            ["TokenEndpoint"] = before.TokenEndpoint.ToString(),
            ["ClientId"] = before.ClientId,
            [option] = value,
        }).Build().Get<OfflineBearerOptions>()!;
        var session = new OfflineBearer.Caching.ClientSession(
            new OfflineBearer.Options.ClientContext("inventory", before, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, new OfflineBearer.Diagnostics.ClientTelemetry("inventory", null)),
            null!,
            null!,
            null!);

        Assert.Equal(same, session.IsSameClient(after));
    }

    [Fact]
    public async Task Another_client_id_ends_the_session_at_once_and_never_gets_the_old_refresh_token()
    {
        using var harness = Reloadable();
        var oldRefreshToken = harness.IssueRefreshToken();
        harness.OnToken = request => Task.FromResult(Harness.Json(TokenJson.Success(
            harness.IssueJwt(TimeSpan.FromMinutes(5)),
            refreshToken: ClientIdOf(request) == Harness.ClientId ? oldRefreshToken : null)));
        using var client = harness.CreateClient();
        (await client.GetAsync("first")).Dispose();

        Reload("ClientId", "inventory-sync-v2");
        (await client.GetAsync("after-reload")).Dispose();

        var requests = harness.TokenRequests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal("client_credentials", requests[1].GrantType);
        Assert.Equal("inventory-sync-v2", ClientIdOf(requests[1]));
        Assert.NotEqual(harness.ApiRequests.First().BearerToken, harness.ApiRequests.Last().BearerToken);

        harness.Time.Advance(TimeSpan.FromMinutes(6));
        (await client.GetAsync("later")).Dispose();
        Assert.DoesNotContain(harness.TokenRequests, request => request.Form.GetValueOrDefault("refresh_token") == oldRefreshToken);
    }

    [Fact]
    public async Task Options_that_fail_validation_change_nothing_and_say_why_at_the_next_token_request()
    {
        using var harness = Reloadable();
        using var client = harness.CreateClient();
        (await client.GetAsync("first")).Dispose();

        // IOptionsMonitor validates the new options as it raises the change, so the reload itself reports them (a file
        // watcher's reload runs on a task of its own, which observes it); nothing of the client changes.
        var reported = Record.Exception(() => Reload("TokenRequestRetries", "99"));
        Assert.Contains("TokenRequestRetries", reported?.InnerException?.Message, StringComparison.Ordinal);
        harness.Time.Advance(TimeSpan.FromMinutes(4.5)); // in the refresh window: the token serves while the refresh fails
        using var during = await client.GetAsync("during");
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("expired"));

        Assert.Equal(HttpStatusCode.OK, during.StatusCode);
        Assert.Contains("reloaded options are not valid", error.Message, StringComparison.Ordinal);
        Assert.Contains("TokenRequestRetries", error.Message, StringComparison.Ordinal);
        Assert.Single(harness.TokenRequests);

        Reload("TokenRequestRetries", "3");
        harness.Time.Advance(TimeSpan.FromMinutes(1)); // past the pause after the failure
        using var fixedAgain = await client.GetAsync("fixed");
        Assert.Equal(HttpStatusCode.OK, fixedAgain.StatusCode);
        Assert.Equal(2, harness.TokenRequests.Count);
    }

    /// <summary>The DPoP key of a token request's proof, as its JWK's thumbprint input.</summary>
    private static string ProofKey(RecordedRequest request)
    {
        var header = request.Headers["DPoP"].Split('.')[0];
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(header.Replace('-', '+').Replace('_', '/').PadRight((header.Length + 3) / 4 * 4, '=')));
        return System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("jwk").GetRawText();
    }

    private Harness Reloadable(Action<OfflineBearerOptions>? configure = null) => new(
        configure,
        services: services => services.Configure<OfflineBearerOptions>(Harness.ClientName, _configuration),
        userDefaults: true);

    private void Reload(string key, string value)
    {
        _configuration[key] = value;
        _configuration.Reload();
    }

    private static string ClientIdOf(RecordedRequest request) => Credentials(request).Id;

    private static string SecretOf(RecordedRequest request) => Credentials(request).Secret;

    /// <summary>RFC 6749 2.3.1: each half of the Basic credential is form-url-encoded.</summary>
    private static string Decode(string value) => Uri.UnescapeDataString(value.Replace('+', ' '));

    private static (string Id, string Secret) Credentials(RecordedRequest request)
    {
        var pair = Encoding.UTF8.GetString(Convert.FromBase64String(request.Authorization!.Parameter!));
        var colon = pair.IndexOf(':', StringComparison.Ordinal);
        return (Decode(pair[..colon]), Decode(pair[(colon + 1)..]));
    }
}
