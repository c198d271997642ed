using System.Diagnostics;
using OfflineBearer.Cli.Tests.Support;

namespace OfflineBearer.Cli.Tests;

/// <summary>The tool as a real process, as a shell script runs it: arguments, environment, standard input, exit code.</summary>
[Collection(CliServer.Name)]
public sealed class ProcessTests(CliServerFixture fixture) : IDisposable
{
    private readonly Tool _tool = new(fixture);

    [Fact]
    public async Task A_script_gets_an_offline_token_then_a_bearer_token_it_can_inspect()
    {
        var secret = new Dictionary<string, string> { [CliEnvironment.ClientSecretVariable] = TestTokenServer.BasicClientSecret };

        var get = await RunAsync(secret, null, _tool.Args("get", TestTokenServer.BasicClientId, "inventory", "--scope", $"offline_access {TestTokenServer.ApiScope}"));
        var token = await RunAsync(secret, null, _tool.Args("token", TestTokenServer.BasicClientId));
        var inspect = await RunAsync([], token.Out, "inspect", "-");

        Assert.True(get.ExitCode == 0, get.Error);
        Assert.True(token.ExitCode == 0, token.Error);
        Assert.Matches("^eyJ[A-Za-z0-9_.-]+\r?\n$", token.Out);
        Assert.Equal(0, inspect.ExitCode);
        Assert.Contains($"sub: {TestTokenServer.BasicClientId}", inspect.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(TestTokenServer.BasicClientSecret, get.All + token.All + inspect.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_says_where_secrets_come_from_and_what_the_exit_codes_mean()
    {
        var help = await RunAsync([], null, "--help");
        var usage = await RunAsync([], null, "get", "--client-id", "x");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains(CliEnvironment.ClientSecretVariable, help.Out, StringComparison.Ordinal);
        Assert.Contains("never from an argument", help.Out, StringComparison.Ordinal);
        Assert.Contains("2 refused by the server", help.Out, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, usage.ExitCode);
        Assert.Contains("--authority", usage.Error, StringComparison.Ordinal);
    }

    private static async Task<ToolRun> RunAsync(Dictionary<string, string> environment, string? input, params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "offline-token.exe" : "offline-token"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove(CliEnvironment.ClientSecretVariable);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input ?? string.Empty);
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return new ToolRun(process.ExitCode, await output, await error);
    }

    public void Dispose() => _tool.Dispose();
}
