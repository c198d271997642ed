using System.Text.Json;
using OfflineBearer.Cli.Tests.Support;
using OfflineBearer.Stores;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Cli.Tests;

[Collection(CliServer.Name)]
public sealed class GetTests(CliServerFixture fixture) : IDisposable
{

    private readonly Tool _tool = new(fixture);

    [Fact]
    public async Task Get_with_basic_auth_puts_the_offline_token_where_the_file_store_reads_it()
    {
        _tool.WithSecret(TestTokenServer.BasicClientSecret);
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, "inventory", "--scope", TestTokenServer.OfflineScope));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(string.Empty, run.Out); // data only on request
        Assert.Contains("refresh token: stored for client 'inventory' in the file store", run.Error, StringComparison.Ordinal);
        Assert.Equal(1, _tool.Server.Ledger.TokenRequests(grant: GrantTypes.ClientCredentials));
        var stored = await new FileRefreshTokenStore(_tool.StoreDirectory, TokenProtection.None).GetAsync("inventory", default);
        Assert.NotNull(stored);
        Assert.DoesNotContain(stored, run.All, StringComparison.Ordinal);
        Assert.DoesNotContain(TestTokenServer.BasicClientSecret, run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_with_post_auth_sends_the_secret_in_the_form()
    {
        _tool.WithSecret(TestTokenServer.PostClientSecret);

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.PostClientId, "reports", "--scope", TestTokenServer.OfflineScope, "--client-auth", "post"));

        Assert.Equal(0, run.ExitCode);
        Assert.NotNull(await new FileRefreshTokenStore(_tool.StoreDirectory, TokenProtection.None).GetAsync("reports", default));
    }

    [Fact]
    public async Task Get_with_the_wrong_client_authentication_method_is_refused_with_exit_code_2()
    {
        _tool.WithSecret(TestTokenServer.PostClientSecret);

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.PostClientId, "reports", "--scope", TestTokenServer.OfflineScope));

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.Contains("'invalid_client'", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(TestTokenServer.PostClientSecret, run.All, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_tool.StoreDirectory));
    }

    [Fact]
    public async Task Get_with_a_wrong_secret_is_refused_and_the_secret_is_in_no_output()
    {
        const string wrong = "not-the-basic-secret";
        _tool.WithSecret(wrong);

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, "inventory", "--json"));

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        using var json = JsonDocument.Parse(run.Out);
        var error = json.RootElement.GetProperty("error");
        Assert.Equal(ExitCodes.Refused, error.GetProperty("exit_code").GetInt32());
        Assert.Equal("invalid_client", error.GetProperty("oauth_error").GetString());
        Assert.Contains("check ClientId, ClientSecret", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_secret_can_come_from_standard_input()
    {
        _tool.Input = TestTokenServer.BasicClientSecret + "\n";

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, clientName: null, "--client-secret-stdin"));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("not stored (no --store or --redis)", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_without_a_secret_is_a_usage_error_that_says_where_the_secret_comes_from()
    {
        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId));

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains(CliEnvironment.ClientSecretVariable, run.Error, StringComparison.Ordinal);
        Assert.Contains("--client-secret-stdin", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_output_has_the_access_token_and_the_refresh_token_only_when_asked()
    {
        _tool.WithSecret(TestTokenServer.BasicClientSecret);

        var plain = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, "inventory", "--scope", TestTokenServer.OfflineScope, "--json"));
        var asked = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, "inventory", "--scope", TestTokenServer.OfflineScope, "--json", "--print-refresh-token"));

        using var first = JsonDocument.Parse(plain.Out);
        Assert.Equal("inventory", first.RootElement.GetProperty("client").GetString());
        Assert.Equal("client_credentials", first.RootElement.GetProperty("grant").GetString());
        Assert.Equal("Bearer", first.RootElement.GetProperty("token_type").GetString());
        Assert.StartsWith("eyJ", first.RootElement.GetProperty("access_token").GetString(), StringComparison.Ordinal);
        Assert.True(first.RootElement.GetProperty("refresh_token_issued").GetBoolean());
        Assert.Equal("file", first.RootElement.GetProperty("stored").GetString());
        Assert.Equal(
            _tool.Time.GetUtcNow() + TokenLifetime.Read(first.RootElement.GetProperty("access_token").GetString()!, null, _tool.Time.GetUtcNow()),
            first.RootElement.GetProperty("expires_at").GetDateTimeOffset());
        Assert.False(first.RootElement.TryGetProperty("refresh_token", out _));
        using var second = JsonDocument.Parse(asked.Out);
        var stored = await new FileRefreshTokenStore(_tool.StoreDirectory, TokenProtection.None).GetAsync("inventory", default);
        Assert.Equal(stored, second.RootElement.GetProperty("refresh_token").GetString());
    }

    [Fact]
    public async Task Print_refresh_token_prints_it_alone_on_standard_output()
    {
        _tool.WithSecret(TestTokenServer.BasicClientSecret);

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, "inventory", "--scope", TestTokenServer.OfflineScope, "--print-refresh-token"));

        var stored = await new FileRefreshTokenStore(_tool.StoreDirectory, TokenProtection.None).GetAsync("inventory", default);
        Assert.Equal(stored + Environment.NewLine, run.Out);
    }

    public void Dispose() => _tool.Dispose();
}
