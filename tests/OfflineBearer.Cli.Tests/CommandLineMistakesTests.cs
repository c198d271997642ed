using System.Text.Json;
using OfflineBearer.Cli.Tests.Support;

namespace OfflineBearer.Cli.Tests;

/// <summary>
/// Mistakes on the command line end with exit code 1 and one sentence that says what to change, before anything is
/// asked of the token server or written to the store.
/// </summary>
[Collection(CliServer.Name)]
public sealed class CommandLineMistakesTests(CliServerFixture fixture) : IDisposable
{
    private readonly Tool _tool = new(fixture);

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    public async Task A_login_time_limit_that_is_not_positive_is_a_usage_error(string seconds)
    {
        var run = await _tool.RunAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device", "--timeout", seconds));

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Equal("offline-token: --timeout must be a positive number of seconds.", run.Error.TrimEnd());
    }

    [Fact]
    public async Task Client_secret_stdin_with_nothing_on_standard_input_is_a_usage_error()
    {
        _tool.WithSecret(TestTokenServer.BasicClientSecret); // the variable does not stand in for what was asked
        _tool.Input = "\n";
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, "inventory", "--client-secret-stdin"));

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("--client-secret-stdin was given, but standard input had no secret on its first line.", run.Error, StringComparison.Ordinal);
        Assert.Equal(0, _tool.Server.Ledger.TokenRequests());
    }

    [Fact]
    public async Task The_secret_on_standard_input_is_read_without_its_surrounding_blanks()
    {
        _tool.Input = $"  {TestTokenServer.BasicClientSecret} \nnext line\n";

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, "inventory", "--client-secret-stdin"));

        Assert.True(run.ExitCode == 0, run.Error);
    }

    [Fact]
    public async Task An_authority_that_is_not_a_url_is_a_usage_error_that_shows_it()
    {
        _tool.WithSecret(TestTokenServer.BasicClientSecret);

        var run = await _tool.RunAsync("get", "--authority", "sso.example.org/realms/prod", "--client-id", TestTokenServer.BasicClientId);

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains(
            "--authority must be an absolute URL such as https://sso.example.org/realms/prod; it was 'sso.example.org/realms/prod'.",
            run.Error,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_without_a_client_name_is_a_usage_error()
    {
        _tool.WithSecret(TestTokenServer.BasicClientSecret);

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, clientName: null, "--store", _tool.StoreDirectory));

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("--client NAME is required with --store and --redis", run.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_tool.StoreDirectory));
    }

    [Fact]
    public async Task A_blank_client_name_is_a_usage_error()
    {
        var run = await _tool.RunAsync("token", "--store", _tool.StoreDirectory, "--client", " ");

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("--client NAME is required", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_of_a_fleets_token_in_redis_is_a_usage_error()
    {
        var run = await _tool.RunAsync("revoke", "--redis", "127.0.0.1:1", "--client", "inventory");

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("revoke works on a file store (--store DIR --client NAME)", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_of_a_store_and_a_token_at_once_is_a_usage_error()
    {
        var run = await _tool.RunAsync("inspect", "eyJhbGciOiJub25lIn0.e30.", "--store", _tool.StoreDirectory, "--client", "inventory");

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("Give a token, -, or --store DIR --client NAME.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_of_a_store_without_a_client_name_is_a_usage_error()
    {
        var run = await _tool.RunAsync("inspect", "--store", _tool.StoreDirectory);

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("Give a token, -, or --store DIR --client NAME.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_of_a_store_that_holds_nothing_for_the_client_says_so()
    {
        var run = await _tool.RunAsync("inspect", "--store", _tool.StoreDirectory, "--client", "inventory");

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains($"The store {_tool.StoreDirectory} holds no refresh token for client 'inventory'.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_of_an_empty_standard_input_is_a_usage_error()
    {
        _tool.Input = "   \n";

        var run = await _tool.RunAsync("inspect", "-");

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("Give a token, -, or --store DIR --client NAME.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_usage_error_with_json_is_also_a_json_error_on_standard_output()
    {
        var run = await _tool.RunAsync("inspect", "--store", _tool.StoreDirectory, "--json");

        using var json = JsonDocument.Parse(run.Out);
        var error = json.RootElement.GetProperty("error");
        Assert.Equal(ExitCodes.UsageError, error.GetProperty("exit_code").GetInt32());
        Assert.Equal(JsonValueKind.Null, error.GetProperty("oauth_error").ValueKind);
        Assert.Equal("Give a token, -, or --store DIR --client NAME.", error.GetProperty("message").GetString());
    }

    public void Dispose() => _tool.Dispose();
}
