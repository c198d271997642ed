using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

/// <summary>
/// The development server's interactive grants, driven over raw HTTP as the <c>offline-token</c> tool and a person at a
/// browser would: the authorization code flow with PKCE on a loopback redirect, the device authorization grant, and
/// RFC 7009 revocation. No redirect is ever followed; time moves only on the server's fake clock.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class DevServerLoginTests : IDisposable
{
    private const string DeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";
    private const string Scope = "openid offline_access api";

    private readonly TestTokenServer _server;
    private readonly FakeTimeProvider _time;
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

    public DevServerLoginTests(DevServerFixture servers)
    {
        _server = servers.Rotating.Server;
        _time = servers.Rotating.Time;
        _server.Ledger.Reset();
    }

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task Discovery_lists_the_authorization_device_and_revocation_endpoints_and_S256()
    {
        using var discovery = JsonDocument.Parse(await _http.GetStringAsync(_server.DiscoveryEndpoint));

        var root = discovery.RootElement;
        Assert.Equal(_server.AuthorizationEndpoint.ToString(), root.GetProperty("authorization_endpoint").GetString());
        Assert.Equal(_server.DeviceAuthorizationEndpoint.ToString(), root.GetProperty("device_authorization_endpoint").GetString());
        Assert.Equal(_server.RevocationEndpoint.ToString(), root.GetProperty("revocation_endpoint").GetString());
        Assert.Equal(_server.TokenEndpoint.ToString(), root.GetProperty("token_endpoint").GetString());
        Assert.Contains("S256", Strings(root.GetProperty("code_challenge_methods_supported")));
        Assert.DoesNotContain("plain", Strings(root.GetProperty("code_challenge_methods_supported")));
        Assert.Contains("authorization_code", Strings(root.GetProperty("grant_types_supported")));
        Assert.Contains(DeviceCodeGrant, Strings(root.GetProperty("grant_types_supported")));
    }

    [Theory]
    [InlineData("http://127.0.0.1:{0}/callback")]
    [InlineData("http://[::1]:{0}/callback")]
    public async Task The_code_flow_with_PKCE_on_any_loopback_port_returns_an_access_and_a_refresh_token(string redirectFormat)
    {
        var redirect = string.Format(System.Globalization.CultureInfo.InvariantCulture, redirectFormat, Random.Shared.Next(1024, 65536));
        var (verifier, challenge) = NewPkce();

        var location = await _server.LogInAsync(AuthorizationUrl(redirect, challenge, state: "s-123"));
        var query = Query(location);
        using var tokens = await ExchangeAsync(query["code"], verifier, redirect);

        Assert.StartsWith(redirect + "?", location.ToString(), StringComparison.Ordinal);
        Assert.Equal("s-123", query["state"]);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        Assert.False(string.IsNullOrEmpty(tokens.String("access_token")));
        Assert.False(string.IsNullOrEmpty(tokens.String("refresh_token")));
        Assert.False(string.IsNullOrEmpty(tokens.String("id_token")));
        Assert.Equal(1, _server.Ledger.TokenRequests(grant: "authorization_code"));
        Assert.Equal(0, _server.Ledger.FailedTokenRequests);
    }

    [Fact]
    public async Task The_access_token_of_a_browser_login_is_for_the_user_and_its_refresh_token_works()
    {
        var redirect = LoopbackRedirect();
        var (verifier, challenge) = NewPkce();
        var code = Query(await _server.LogInAsync(AuthorizationUrl(redirect, challenge))).GetValueOrDefault("code");
        using var tokens = await ExchangeAsync(code, verifier, redirect);

        using var ping = new HttpRequestMessage(HttpMethod.Get, new Uri(_server.ApiUrl, "ping"));
        ping.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.String("access_token"));
        using var api = await _http.SendAsync(ping);
        using var refreshed = await RefreshAsync(tokens.String("refresh_token")!);

        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.Contains($"\"{TestTokenServer.UserName}\"", await api.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.False(string.IsNullOrEmpty(refreshed.String("refresh_token")));
    }

    [Fact]
    public async Task A_state_with_markup_survives_the_login_form_unchanged()
    {
        const string state = "a\"b<c>&d'e f+g=h";
        var (_, challenge) = NewPkce();

        var location = await _server.LogInAsync(AuthorizationUrl(LoopbackRedirect(), challenge, state));

        Assert.Equal(state, Query(location)["state"]);
    }

    [Fact]
    public async Task A_wrong_code_verifier_is_refused_with_invalid_grant()
    {
        var redirect = LoopbackRedirect();
        var (_, challenge) = NewPkce();
        var code = Query(await _server.LogInAsync(AuthorizationUrl(redirect, challenge)))["code"];

        using var tokens = await ExchangeAsync(code, NewPkce().Verifier, redirect);

        Assert.Equal(HttpStatusCode.BadRequest, tokens.Status);
        Assert.Equal("invalid_grant", tokens.String("error"));
        Assert.Equal(1, _server.Ledger.FailedTokenRequests);
    }

    [Fact]
    public async Task An_authorization_request_without_a_code_challenge_is_refused_without_a_redirect()
    {
        var url = AuthorizationUrl(LoopbackRedirect(), challenge: null);

        using var response = await _http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        var login = await Assert.ThrowsAsync<InvalidOperationException>(() => _server.LogInAsync(url));

        // OpenIddict checks PKCE before it trusts the redirect URI, so it answers the browser itself.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("error:invalid_request", body, StringComparison.Ordinal);
        Assert.Contains("code_challenge", body, StringComparison.Ordinal);
        Assert.Contains("without a redirect", login.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plain_code_challenge_is_refused()
    {
        var verifier = NewPkce().Verifier;
        var url = new Uri(AuthorizationUrl(LoopbackRedirect(), verifier).ToString().Replace("code_challenge_method=S256", "code_challenge_method=plain", StringComparison.Ordinal));

        using var response = await _http.GetAsync(url);
        var refused = response.Headers.Location is { } location ? Query(location).GetValueOrDefault("error") : await response.Content.ReadAsStringAsync();

        Assert.Contains("invalid_request", refused, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://example.org:8080/callback")]
    [InlineData("http://127.0.0.1:8080/other")]
    [InlineData("https://127.0.0.1:8080/callback")]
    public async Task A_redirect_uri_other_than_the_loopback_callback_is_refused_without_a_redirect(string redirect)
    {
        var (_, challenge) = NewPkce();
        var url = AuthorizationUrl(redirect, challenge);

        using var response = await _http.GetAsync(url);
        var login = await Assert.ThrowsAsync<InvalidOperationException>(() => _server.LogInAsync(url));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("without a redirect", login.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_shows_the_form_again_and_redirects_nowhere()
    {
        var (_, challenge) = NewPkce();
        var url = AuthorizationUrl(LoopbackRedirect(), challenge);

        var login = await Assert.ThrowsAsync<InvalidOperationException>(() => _server.LogInAsync(url, password: "wrong"));
        using var form = new FormUrlEncodedContent(QueryPairs(url).Append(new("username", TestTokenServer.UserName)).Append(new("password", "wrong")));
        using var response = await _http.PostAsync(_server.AuthorizationEndpoint, form);

        Assert.Contains("user name or password is wrong", login.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("name=\"password\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deny_redirects_to_the_client_with_access_denied()
    {
        var redirect = LoopbackRedirect();
        var (_, challenge) = NewPkce();

        var location = await _server.LogInAsync(AuthorizationUrl(redirect, challenge, state: "s-9"), deny: true);
        var query = Query(location);

        Assert.StartsWith(redirect, location.ToString(), StringComparison.Ordinal);
        Assert.Equal("access_denied", query["error"]);
        Assert.Equal("s-9", query["state"]);
        Assert.False(query.ContainsKey("code"));
    }

    [Fact]
    public async Task The_device_authorization_response_has_the_codes_the_verification_uri_and_the_interval()
    {
        using var device = await AuthorizeDeviceAsync();

        Assert.Equal(HttpStatusCode.OK, device.Status);
        Assert.False(string.IsNullOrEmpty(device.String("device_code")));
        Assert.False(string.IsNullOrEmpty(device.String("user_code")));
        Assert.Equal(_server.VerificationEndpoint.ToString(), device.String("verification_uri"));
        Assert.StartsWith(_server.VerificationEndpoint + "?user_code=", device.String("verification_uri_complete"), StringComparison.Ordinal);
        Assert.Equal(300, device.Json.GetProperty("expires_in").GetInt64());
        Assert.Equal(5, device.Json.GetProperty("interval").GetInt64());
        Assert.Equal(1, _server.Ledger.DeviceAuthorizationRequests);
    }

    [Fact]
    public async Task The_device_flow_is_pending_then_slowed_down_then_issues_tokens_after_approval()
    {
        using var device = await AuthorizeDeviceAsync();
        var deviceCode = device.String("device_code")!;

        using var tooEarly = await PollAsync(deviceCode);
        _time.Advance(TimeSpan.FromSeconds(5));
        using var pending = await PollAsync(deviceCode);
        _time.Advance(TimeSpan.FromSeconds(4));
        using var tooSoon = await PollAsync(deviceCode);
        await _server.ApproveDeviceAsync(device.String("user_code")!);
        _time.Advance(TimeSpan.FromSeconds(5));
        using var tokens = await PollAsync(deviceCode);

        Assert.Equal("slow_down", tooEarly.String("error"));
        Assert.Equal("authorization_pending", pending.String("error"));
        Assert.Equal("slow_down", tooSoon.String("error"));
        Assert.Equal(HttpStatusCode.BadRequest, tooSoon.Status);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        Assert.False(string.IsNullOrEmpty(tokens.String("access_token")));
        Assert.False(string.IsNullOrEmpty(tokens.String("refresh_token")));
        Assert.Equal(4, _server.Ledger.TokenRequests(grant: DeviceCodeGrant));
        Assert.Equal(3, _server.Ledger.FailedTokenRequests);
    }

    [Fact]
    public async Task A_device_code_the_user_denied_gets_access_denied()
    {
        using var device = await AuthorizeDeviceAsync();

        await _server.ApproveDeviceAsync(device.String("user_code")!, approve: false);
        _time.Advance(TimeSpan.FromSeconds(5));
        using var poll = await PollAsync(device.String("device_code")!);

        Assert.Equal(HttpStatusCode.BadRequest, poll.Status);
        Assert.Equal("access_denied", poll.String("error"));
    }

    [Fact]
    public async Task A_device_code_polled_after_its_lifetime_gets_expired_token()
    {
        using var device = await AuthorizeDeviceAsync();

        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        using var poll = await PollAsync(device.String("device_code")!);
        var approve = await Assert.ThrowsAsync<InvalidOperationException>(() => _server.ApproveDeviceAsync(device.String("user_code")!));

        Assert.Equal(HttpStatusCode.BadRequest, poll.Status);
        Assert.Equal("expired_token", poll.String("error"));
        Assert.Contains("not valid or has expired", approve.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_user_code_is_not_approved()
    {
        var approve = await Assert.ThrowsAsync<InvalidOperationException>(() => _server.ApproveDeviceAsync("NOPE-NOPE"));

        Assert.Contains("not valid or has expired", approve.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_complete_verification_uri_shows_the_form_with_the_user_code_filled_in()
    {
        using var device = await AuthorizeDeviceAsync();
        var userCode = device.String("user_code")!;

        using var page = await _http.GetAsync(new Uri(device.String("verification_uri_complete")!));
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains($"name=\"user_code\" value=\"{userCode}\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"action\" value=\"approve\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"action\" value=\"deny\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_on_the_verification_page_leaves_the_device_pending()
    {
        using var device = await AuthorizeDeviceAsync();
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["user_code"] = device.String("user_code")!,
            ["username"] = TestTokenServer.UserName,
            ["password"] = "wrong",
            ["action"] = "approve",
        });

        using var page = await _http.PostAsync(_server.VerificationEndpoint, form);
        _time.Advance(TimeSpan.FromSeconds(5));
        using var poll = await PollAsync(device.String("device_code")!);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Null(page.Headers.Location);
        Assert.Contains("user name or password is wrong", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("authorization_pending", poll.String("error"));
    }

    [Fact]
    public async Task A_public_client_revokes_its_own_refresh_token_and_the_next_refresh_gets_invalid_grant()
    {
        var refreshToken = await _server.GetPublicClientOfflineTokenAsync();

        using var revoke = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = refreshToken,
            ["token_type_hint"] = "refresh_token",
            ["client_id"] = TestTokenServer.PublicClientId,
        });
        using var revoked = await _http.PostAsync(_server.RevocationEndpoint, revoke);
        using var refreshed = await RefreshAsync(refreshToken);

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, refreshed.Status);
        Assert.Equal("invalid_grant", refreshed.String("error"));
    }

    [Theory]
    [InlineData(TestTokenServer.BasicClientId, TestTokenServer.BasicClientSecret, true)]
    [InlineData(TestTokenServer.PostClientId, TestTokenServer.PostClientSecret, false)]
    public async Task A_confidential_client_revokes_its_refresh_token_and_the_next_refresh_gets_invalid_grant(
        string clientId, string secret, bool basic)
    {
        using var issued = await PostAsync(_server.TokenEndpoint, clientId, secret, basic, new()
        {
            ["grant_type"] = "client_credentials",
            ["scope"] = "offline_access api",
        });
        var refreshToken = issued.String("refresh_token")!;

        using var revoked = await PostAsync(_server.RevocationEndpoint, clientId, secret, basic, new()
        {
            ["token"] = refreshToken,
            ["token_type_hint"] = "refresh_token",
        });
        using var refreshed = await PostAsync(_server.TokenEndpoint, clientId, secret, basic, new()
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
        });

        Assert.Equal(HttpStatusCode.OK, revoked.Status);
        Assert.Equal(HttpStatusCode.BadRequest, refreshed.Status);
        Assert.Equal("invalid_grant", refreshed.String("error"));
    }

    [Fact]
    public void The_device_options_default_to_five_minutes_and_five_seconds()
    {
        var options = new OfflineBearer.Testing.TestTokenServerOptions();

        Assert.Equal(TimeSpan.FromMinutes(5), options.DeviceCodeLifetime);
        Assert.Equal(TimeSpan.FromSeconds(5), options.DevicePollingInterval);
    }

    [Theory]
    [InlineData(0, 5.0, "DeviceCodeLifetime")]
    [InlineData(300, 0.0, "DevicePollingInterval")]
    [InlineData(300, 2.5, "DevicePollingInterval")]
    public async Task Invalid_device_options_are_refused_at_start_naming_the_option(int lifetimeSeconds, double intervalSeconds, string option)
    {
        var options = new OfflineBearer.Testing.TestTokenServerOptions
        {
            DeviceCodeLifetime = TimeSpan.FromSeconds(lifetimeSeconds),
            DevicePollingInterval = TimeSpan.FromSeconds(intervalSeconds),
        };

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => TestTokenServer.StartAsync(options));

        Assert.StartsWith(option, refused.Message, StringComparison.Ordinal);
    }

    private static string LoopbackRedirect() => $"http://127.0.0.1:{Random.Shared.Next(1024, 65536)}{TestTokenServer.LoopbackRedirectPath}";

    private static (string Verifier, string Challenge) NewPkce()
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private Uri AuthorizationUrl(string redirect, string? challenge, string state = "state-1")
    {
        var parameters = new Dictionary<string, string>
        {
            ["response_type"] = "code",
            ["client_id"] = TestTokenServer.PublicClientId,
            ["redirect_uri"] = redirect,
            ["scope"] = Scope,
            ["state"] = state,
        };
        if (challenge is not null)
        {
            parameters["code_challenge"] = challenge;
            parameters["code_challenge_method"] = "S256";
        }

        return new Uri(_server.AuthorizationEndpoint + "?" + string.Join('&',
            parameters.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value))));
    }

    private static IEnumerable<KeyValuePair<string, string>> QueryPairs(Uri uri) =>
        uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Select(pair => pair.Split('=', 2)).Select(parts =>
            new KeyValuePair<string, string>(Unescape(parts[0]), parts.Length > 1 ? Unescape(parts[1]) : string.Empty));

    private static Dictionary<string, string> Query(Uri uri) => QueryPairs(uri).ToDictionary(StringComparer.Ordinal);

    private static string Unescape(string value) => Uri.UnescapeDataString(value.Replace('+', ' '));

    private static IEnumerable<string?> Strings(JsonElement array) => array.EnumerateArray().Select(item => item.GetString());

    private Task<Answer> ExchangeAsync(string? code, string verifier, string redirect) =>
        PostAsync(_server.TokenEndpoint, new()
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = TestTokenServer.PublicClientId,
            ["code"] = code ?? string.Empty,
            ["code_verifier"] = verifier,
            ["redirect_uri"] = redirect,
        });

    private Task<Answer> RefreshAsync(string refreshToken) =>
        PostAsync(_server.TokenEndpoint, new()
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = TestTokenServer.PublicClientId,
            ["refresh_token"] = refreshToken,
        });

    private Task<Answer> AuthorizeDeviceAsync() =>
        PostAsync(_server.DeviceAuthorizationEndpoint, new()
        {
            ["client_id"] = TestTokenServer.PublicClientId,
            ["scope"] = "offline_access api",
        });

    private Task<Answer> PollAsync(string deviceCode) =>
        PostAsync(_server.TokenEndpoint, new()
        {
            ["grant_type"] = DeviceCodeGrant,
            ["client_id"] = TestTokenServer.PublicClientId,
            ["device_code"] = deviceCode,
        });

    private Task<Answer> PostAsync(Uri endpoint, string clientId, string secret, bool basic, Dictionary<string, string> form)
    {
        if (!basic)
        {
            form["client_id"] = clientId;
            form["client_secret"] = secret;
        }

        return PostAsync(endpoint, form, basic ? Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}")) : null);
    }

    private async Task<Answer> PostAsync(Uri endpoint, Dictionary<string, string> form, string? basic = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new FormUrlEncodedContent(form) };
        if (basic is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
        }

        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return new Answer(response.StatusCode, JsonDocument.Parse(body.Length == 0 ? "{}" : body));
    }

    private sealed class Answer(HttpStatusCode status, JsonDocument json) : IDisposable
    {
        public HttpStatusCode Status { get; } = status;

        public JsonElement Json => json.RootElement;

        public string? String(string name) => Json.TryGetProperty(name, out var value) ? value.GetString() : null;

        public void Dispose() => json.Dispose();
    }
}
