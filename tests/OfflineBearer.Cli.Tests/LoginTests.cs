using System.Text.Json;
using OfflineBearer.Tooling;
using OfflineBearer.Cli.Tests.Support;
using OfflineBearer.Stores;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Cli.Tests;

/// <summary>The browser login: authorization code with PKCE on a loopback redirect, the test playing the person at the browser.</summary>
[Collection(CliServer.Name)]
public sealed class LoginTests(CliServerFixture fixture) : IDisposable
{
    private readonly Tool _tool = new(fixture);
    private readonly HttpClient _browser = new(new SocketsHttpHandler { AllowAutoRedirect = false });

    [Fact]
    public async Task Login_signs_in_with_PKCE_and_puts_the_offline_token_where_the_service_reads_it()
    {
        Uri? opened = null;
        Uri? redirectedTo = null;
        _tool.Browser = address =>
        {
            opened = address;
            redirectedTo = SignIn(address);
            return true;
        };
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device", "--scope", $"openid offline_access {TestTokenServer.ApiScope}"));

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains(opened!.AbsoluteUri, run.Error, StringComparison.Ordinal); // also printed, for a browser elsewhere
        var query = System.Web.HttpUtility.ParseQueryString(opened.Query);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal(43, query["code_challenge"]!.Length);
        Assert.Equal("code", query["response_type"]);
        Assert.Matches(@"^http://127\.0\.0\.1:\d+/callback$", query["redirect_uri"]);
        Assert.Equal(1, _tool.Server.Ledger.TokenRequests(grant: GrantTypes.AuthorizationCode));
        var stored = await new FileRefreshTokenStore(_tool.StoreDirectory, TokenProtection.None).GetAsync("device", default);
        Assert.NotNull(stored);
        Assert.DoesNotContain(stored, run.All, StringComparison.Ordinal);
        Assert.DoesNotContain("code=", run.All.Replace(opened.AbsoluteUri, string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);

        // What the service then does: refresh with the stored offline token.
        _tool.Time.Advance(TimeSpan.FromSeconds(10));
        var token = await _tool.RunAsync(_tool.Args("token", TestTokenServer.PublicClientId, "device"));
        Assert.Equal(0, token.ExitCode);
        Assert.Equal(1, _tool.Server.Ledger.TokenRequests(grant: GrantTypes.RefreshToken));
        Assert.Equal(0, _tool.Server.Ledger.ReusedRefreshTokens);
        Assert.NotNull(redirectedTo);
    }

    [Fact]
    public async Task Port_fixes_the_loopback_port_for_a_server_that_matches_redirect_uris_exactly()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        Uri? opened = null;
        _tool.Browser = address =>
        {
            opened = address;
            SignIn(address);
            return true;
        };

        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal($"http://127.0.0.1:{port}/callback", System.Web.HttpUtility.ParseQueryString(opened!.Query)["redirect_uri"]);
    }

    [Fact]
    public async Task A_spare_browser_connection_that_sends_nothing_does_not_hold_up_the_redirect()
    {
        using var idle = new System.Net.Sockets.TcpClient();
        _tool.Browser = address =>
        {
            var redirectUri = new Uri(System.Web.HttpUtility.ParseQueryString(address.Query)["redirect_uri"]!);
            idle.Connect(System.Net.IPAddress.Loopback, redirectUri.Port); // a browser's preconnect: open, then silence
            SignIn(address);
            return true;
        };

        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device"));

        Assert.True(run.ExitCode == 0, run.Error);
    }

    [Fact]
    public async Task A_redirect_with_another_state_is_refused_and_no_code_is_redeemed()
    {
        _tool.Browser = address =>
        {
            var redirect = _tool.Server.LogInAsync(address).GetAwaiter().GetResult();
            var forged = new UriBuilder(redirect) { Query = System.Text.RegularExpressions.Regex.Replace(redirect.Query.TrimStart('?'), "state=[^&]*", "state=forged") }.Uri;
            Follow(forged);
            return true;
        };
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device", "--json"));

        Assert.Equal(ExitCodes.LoginIncomplete, run.ExitCode);
        Assert.Contains("did not carry this login's state", run.Error, StringComparison.Ordinal);
        Assert.Equal(0, _tool.Server.Ledger.TokenRequests());
        Assert.Empty(Directory.GetFiles(_tool.StoreDirectory));
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(ExitCodes.LoginIncomplete, json.RootElement.GetProperty("error").GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task A_denied_login_is_refused_with_exit_code_2()
    {
        _tool.Browser = address =>
        {
            Follow(_tool.Server.LogInAsync(address, deny: true).GetAwaiter().GetResult());
            return true;
        };

        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device"));

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.Contains("'access_denied'", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_login_nobody_completes_ends_at_its_time_limit()
    {
        var printed = false;
        _tool.Browser = _ =>
        {
            printed = true;
            return false; // no browser here, and nobody opens the address
        };

        var run = await _tool.StepClockUntilDoneAsync(
            _tool.StartAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device", "--timeout", "120")),
            TimeSpan.FromSeconds(1),
            before: () => Volatile.Read(ref printed));

        Assert.Equal(ExitCodes.LoginIncomplete, run.ExitCode);
        Assert.Contains("No sign-in came back within 120 seconds", run.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_tool.StoreDirectory));
    }

    [Fact]
    public async Task A_code_redeemed_with_another_verifier_is_refused_by_the_server_and_neither_is_shown()
    {
        // What the server does with a code whose PKCE verifier does not match, through the library's grant.
        var pkce = Pkce.Create();
        var redirectUri = new Uri($"http://127.0.0.1:49152{TestTokenServer.LoopbackRedirectPath}");
        var address = new Uri(
            $"{_tool.Server.AuthorizationEndpoint}?response_type=code&client_id={TestTokenServer.PublicClientId}&redirect_uri={Uri.EscapeDataString(redirectUri.AbsoluteUri)}" +
            $"&scope=offline_access&state={pkce.State}&code_challenge={pkce.Challenge}&code_challenge_method=S256");
        var code = System.Web.HttpUtility.ParseQueryString((await _tool.Server.LogInAsync(address)).Query)["code"]!;
        var other = Pkce.Create();
        var session = await ClientSession.OpenAsync(
            new OfflineBearerOptions { Authority = _tool.Authority, ClientId = TestTokenServer.PublicClientId },
            new StoreArguments(null, null, "offlinebearer:", null),
            Environment());
        await using (session)
        {
            var refused = await Assert.ThrowsAsync<OfflineBearerException>(
                () => session.Endpoint.RequestAsync(UserGrants.AuthorizationCode(code, redirectUri, other.Verifier), default));

            Assert.Equal("invalid_grant", refused.Error);
            Assert.Contains("PKCE verifier does not match", refused.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(code, refused.Message + refused.ErrorDescription, StringComparison.Ordinal);
            Assert.DoesNotContain(other.Verifier, refused.Message + refused.ErrorDescription, StringComparison.Ordinal);
        }
    }

    private CliEnvironment Environment() => new()
    {
        Out = TextWriter.Null,
        Error = TextWriter.Null,
        In = TextReader.Null,
        GetVariable = _ => null,
        Time = _tool.Time,
        OpenBrowser = _ => false,
    };

    /// <summary>The person signs in; the browser follows the redirect to the tool's loopback listener.</summary>
    private Uri SignIn(Uri address)
    {
        var redirect = _tool.Server.LogInAsync(address).GetAwaiter().GetResult();
        Follow(redirect);
        return redirect;
    }

    /// <summary>The browser requests the redirect in the background, as a real one would while the tool waits.</summary>
    private void Follow(Uri redirect) => _ = _browser.GetAsync(redirect);

    public void Dispose()
    {
        _browser.Dispose();
        _tool.Dispose();
    }
}
