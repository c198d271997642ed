using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using OfflineBearer.Cli.Tests.Support;

namespace OfflineBearer.Cli.Tests;

/// <summary>
/// The documented exit codes for what goes wrong outside the command line: a server that cannot be reached or answers
/// no OAuth, options the library refuses, a store that cannot be written, an interrupted wait.
/// </summary>
[Collection(CliServer.Name)]
public sealed class ExitCodeTests(CliServerFixture fixture) : IDisposable
{
    private readonly Tool _tool = new Tool(fixture).WithSecret(TestTokenServer.BasicClientSecret);

    [Fact]
    public async Task A_token_server_nobody_listens_at_is_a_server_failure()
    {
        // Connection refused is tried again after a backoff on the tool's clock.
        var run = await _tool.StepClockUntilDoneAsync(
            _tool.StartAsync("get", "--authority", $"http://127.0.0.1:{ClosedPort()}/realms/dev", "--client-id", TestTokenServer.BasicClientId),
            TimeSpan.FromSeconds(1));

        Assert.Equal(ExitCodes.ServerFailure, run.ExitCode);
        Assert.Contains("could not reach the token server for discovery", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_authority_without_a_discovery_document_is_a_server_failure_with_its_status()
    {
        var run = await _tool.RunAsync("get", "--authority", new Uri(_tool.Server.Authority, "no-such-realm").AbsoluteUri, "--client-id", TestTokenServer.BasicClientId, "--json");

        Assert.Equal(ExitCodes.ServerFailure, run.ExitCode);
        Assert.Contains("answered HTTP 404 without a usable \"token_endpoint\"", run.Error, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(ExitCodes.ServerFailure, json.RootElement.GetProperty("error").GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task A_refusal_with_json_carries_the_oauth_error()
    {
        _tool.WithSecret("wrong-secret");

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, clientName: null, "--json"));

        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(ExitCodes.Refused, json.RootElement.GetProperty("error").GetProperty("exit_code").GetInt32());
        Assert.Equal("invalid_client", json.RootElement.GetProperty("error").GetProperty("oauth_error").GetString());
    }

    [Fact]
    public async Task Options_the_library_refuses_are_a_usage_error_in_its_words_with_the_tool_s_flags()
    {
        var run = await _tool.RunAsync(
            "token", "--authority", "http://sso.example.org/realms/prod", "--client-id", TestTokenServer.BasicClientId, "--store", _tool.StoreDirectory, "--client", "inventory");

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains(
            "offline-token: OfflineBearer client 'inventory': --authority must use https (RequireHttps is on; only loopback may use http).",
            run.Error,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_path_that_is_a_file_is_a_usage_error_that_says_the_store_could_not_be_written()
    {
        var notADirectory = Path.Combine(_tool.StoreDirectory, "a-file");
        await File.WriteAllTextAsync(notADirectory, "x");

        var run = await _tool.RunAsync("get", "--authority", _tool.Authority, "--client-id", TestTokenServer.BasicClientId, "--scope", TestTokenServer.ApiScope, "--store", notADirectory, "--client", "inventory");

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("offline-token: A file of the store could not be written or read:", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refresh_token_the_store_cannot_keep_is_a_usage_error_not_a_server_failure()
    {
        var file = Path.Combine(_tool.StoreDirectory, "not-a-directory");
        await File.WriteAllTextAsync(file, "a file where the store directory should be");

        var run = await _tool.RunAsync("get", "--authority", _tool.Authority, "--client-id", TestTokenServer.BasicClientId,
            "--scope", $"offline_access {TestTokenServer.ApiScope}", "--store", file, "--client", "inventory");

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("could not store its new refresh token", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_c_during_a_device_login_exits_with_130()
    {
        using var interrupt = new CancellationTokenSource();
        var error = new StringWriter();
        var environment = new CliEnvironment
        {
            Out = TextWriter.Null,
            Error = TextWriter.Synchronized(error),
            In = TextReader.Null,
            GetVariable = _ => null,
            Time = _tool.Time,
            OpenBrowser = _ => false,
        };

        var login = OfflineTokenApp.RunAsync(
            ["login", "--device", "--authority", _tool.Authority, "--client-id", TestTokenServer.PublicClientId], environment, interrupt.Token);
        while (!error.ToString().Contains("Waiting for the approval", StringComparison.Ordinal) && !login.IsCompleted)
        {
            await Task.Delay(10);
        }

        await interrupt.CancelAsync();
        var exitCode = await login.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ExitCodes.Interrupted, exitCode);
        Assert.EndsWith("offline-token: Interrupted." + Environment.NewLine, error.ToString(), StringComparison.Ordinal);
    }

    private static int ClosedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose() => _tool.Dispose();
}
