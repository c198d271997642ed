using System.Net;
using System.Web;
using OfflineBearer.Cli.Tests.Support;

namespace OfflineBearer.Cli.Tests;

/// <summary>
/// What the browser login does with what comes back to its loopback address: only the redirect to its callback path
/// counts, the page tells the person what happened, and a redirect without a code ends the login with a clear reason.
/// The test plays a browser that is sent back with a redirect of its choosing.
/// </summary>
[Collection(CliServer.Name)]
public sealed class LoginRedirectTests(CliServerFixture fixture) : IDisposable
{
    private readonly Tool _tool = new(fixture);
    private readonly HttpClient _browser = new(new SocketsHttpHandler { AllowAutoRedirect = false });
    private Task<string>? _page;

    [Fact]
    public async Task A_redirect_with_an_error_and_its_description_ends_the_login_with_both()
    {
        ReturnWith(state => $"state={state}&error=temporarily_unavailable&error_description=Try%20again%20later");

        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device"));

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.Contains("offline-token: The server ended the sign-in with 'temporarily_unavailable': Try again later", run.Error, StringComparison.Ordinal);
        Assert.Contains("The sign-in did not complete. Return to offline-token for the reason.", await _page!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redirect_with_an_error_alone_ends_the_sentence_there()
    {
        ReturnWith(state => $"state={state}&error=access_denied");

        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device"));

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.Contains("offline-token: The server ended the sign-in with 'access_denied'." + Environment.NewLine, run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("&code=")]
    public async Task A_redirect_with_neither_code_nor_error_is_an_incomplete_login(string rest)
    {
        ReturnWith(state => $"state={state}{rest}");
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device"));

        Assert.Equal(ExitCodes.LoginIncomplete, run.ExitCode);
        Assert.Contains("The redirect carried neither a code nor an error: run login again.", run.Error, StringComparison.Ordinal);
        Assert.Equal(0, _tool.Server.Ledger.TokenRequests());
    }

    [Fact]
    public async Task A_long_description_from_the_redirect_is_cut_to_a_sentence()
    {
        ReturnWith(state => $"state={state}&error=server_error&error_description={new string('x', 2000)}");

        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device"));

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        var line = run.Error.TrimEnd().Split(Environment.NewLine)[^1];
        Assert.StartsWith("offline-token: The server ended the sign-in with 'server_error': xxx", line, StringComparison.Ordinal);
        Assert.InRange(line.Length, "offline-token: ".Length + OfflineBearer.TokenEndpoint.Redaction.MaxLength, "offline-token: ".Length + OfflineBearer.TokenEndpoint.Redaction.MaxLength + 1);
    }

    [Fact]
    public async Task The_page_after_a_forged_redirect_says_it_was_refused()
    {
        ReturnWith(_ => "state=forged&code=stolen");

        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device"));

        Assert.Equal(ExitCodes.LoginIncomplete, run.ExitCode);
        Assert.Contains("This sign-in was refused: it does not belong to the login that is waiting.", await _page!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redirect_without_a_state_is_refused()
    {
        ReturnWith(_ => "code=stolen");
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device"));

        Assert.Equal(ExitCodes.LoginIncomplete, run.ExitCode);
        Assert.Contains("did not carry this login's state", run.Error, StringComparison.Ordinal);
        Assert.Equal(0, _tool.Server.Ledger.TokenRequests());
    }

    [Fact]
    public async Task The_page_after_a_good_sign_in_says_the_window_can_be_closed()
    {
        _tool.Browser = address =>
        {
            var redirect = _tool.Server.LogInAsync(address).GetAwaiter().GetResult();
            _page = _browser.GetStringAsync(redirect);
            return true;
        };

        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device"));

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("Signed in. You can close this window and return to offline-token.", await _page!, StringComparison.Ordinal);
        Assert.Contains("A browser was opened for you.", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/favicon.ico")]
    [InlineData("/callbacks?code=x")]
    [InlineData("/")]
    public async Task Other_requests_to_the_loopback_address_get_a_404_and_the_login_goes_on(string path)
    {
        HttpStatusCode? other = null;
        _tool.Browser = address =>
        {
            // The tool listens once the browser is open: the browser's requests come in the background.
            var redirectUri = new Uri(HttpUtility.ParseQueryString(address.Query)["redirect_uri"]!);
            _ = Task.Run(async () =>
            {
                using (var response = await _browser.GetAsync(new Uri(redirectUri, path)))
                {
                    other = response.StatusCode;
                }

                await _browser.GetAsync(await _tool.Server.LogInAsync(address));
            });
            return true;
        };

        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device"));

        Assert.Equal(HttpStatusCode.NotFound, other);
        Assert.True(run.ExitCode == 0, run.Error);
    }

    [Fact]
    public async Task A_request_that_is_not_a_GET_is_not_taken_for_the_redirect()
    {
        HttpStatusCode? posted = null;
        _tool.Browser = address =>
        {
            var redirectUri = new Uri(HttpUtility.ParseQueryString(address.Query)["redirect_uri"]!);
            var state = HttpUtility.ParseQueryString(address.Query)["state"]!;
            _ = Task.Run(async () =>
            {
                using (var response = await _browser.PostAsync(new Uri($"{redirectUri}?state={state}&error=access_denied"), null))
                {
                    posted = response.StatusCode;
                }

                await _browser.GetAsync(await _tool.Server.LogInAsync(address));
            });
            return true;
        };

        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device"));

        Assert.Equal(HttpStatusCode.NotFound, posted);
        Assert.True(run.ExitCode == 0, run.Error);
    }

    [Fact]
    public async Task No_browser_means_the_address_is_printed_and_no_browser_is_opened()
    {
        var asked = false;
        var printed = false;
        _tool.Browser = _ =>
        {
            asked = true;
            return true;
        };

        var login = _tool.StartAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device", "--no-browser", "--timeout", "5"));
        var run = await _tool.StepClockUntilDoneAsync(login, TimeSpan.FromSeconds(1), () => printed = printed || _tool.ErrorSoFar().Contains("Open this address", StringComparison.Ordinal));

        Assert.False(asked);
        Assert.Equal(ExitCodes.LoginIncomplete, run.ExitCode);
        Assert.Contains("Open this address in a browser and sign in (waiting 5 seconds):", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("A browser was opened for you.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_scope_the_address_asks_for_none()
    {
        Uri? opened = null;
        _tool.Browser = address =>
        {
            opened = address;
            return false;
        };

        var login = _tool.StartAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device", "--scope", " ", "--timeout", "5"));
        await _tool.StepClockUntilDoneAsync(login, TimeSpan.FromSeconds(1), () => Volatile.Read(ref opened) is not null);

        var query = HttpUtility.ParseQueryString(opened!.Query);
        Assert.Null(query["scope"]);
        Assert.Equal(TestTokenServer.PublicClientId, query["client_id"]);
        Assert.StartsWith(_tool.Server.AuthorizationEndpoint.ToString() + "?response_type=code&client_id=", opened.AbsoluteUri, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("65536")]
    public async Task A_port_out_of_range_is_a_usage_error(string port)
    {
        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device", "--port", port));

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("--port must be between 1 and 65535 (or 0 for a free one).", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_login_without_offline_access_that_gets_no_refresh_token_is_refused_and_stores_nothing()
    {
        _tool.Browser = address =>
        {
            _ = _browser.GetAsync(_tool.Server.LogInAsync(address).GetAwaiter().GetResult());
            return true;
        };

        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device", "--scope", "openid"));

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.Contains("The sign-in worked but the server issued no refresh token", run.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_tool.StoreDirectory));
    }

    /// <summary>The browser comes back to the tool's redirect address with the query <paramref name="query"/> makes of the login's state.</summary>
    private void ReturnWith(Func<string, string> query) => _tool.Browser = address =>
    {
        var parameters = HttpUtility.ParseQueryString(address.Query);
        _page = _browser.GetStringAsync(new Uri($"{parameters["redirect_uri"]}?{query(parameters["state"]!)}"));
        return true;
    };

    public void Dispose()
    {
        _browser.Dispose();
        _tool.Dispose();
    }
}
