using System.Text.Json;
using OfflineBearer.Cli.Tests.Support;
using OfflineBearer.Stores;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Cli.Tests;

/// <summary>
/// Two scripts that call <c>token</c> for one client at once: one of them refreshes, the other waits for its lock and then
/// takes the token the first one kept, so a rotating refresh token is never redeemed twice.
/// </summary>
[Collection(CliServer.Name)]
public sealed class StoreContentionTests(CliServerFixture fixture) : IDisposable
{

    private readonly Tool _tool = new Tool(fixture).WithSecret(TestTokenServer.BasicClientSecret);

    [Fact]
    public async Task A_token_call_that_waited_for_another_takes_the_token_that_one_kept_without_a_token_request()
    {
        await GetOfflineTokenAsync();
        _tool.Time.Advance(TimeSpan.FromSeconds(9)); // the kept access token is due for renewal
        _tool.Server.Ledger.Reset();
        var other = HoldLock();
        var waited = false;

        var run = await _tool.StepClockUntilDoneAsync(
            _tool.StartAsync(_tool.Args("token", TestTokenServer.BasicClientId)),
            TimeSpan.FromMilliseconds(100),
            async () =>
            {
                if (!waited)
                {
                    waited = true;
                    return true; // one poll of the lock
                }

                if (other is not null)
                {
                    // The other offline-token refreshed meanwhile and kept its access token before it let go.
                    await AccessTokenCache.WriteAsync(CachePath, "token-of-the-other-call", _tool.Time.GetUtcNow() + TimeSpan.FromSeconds(4), default);
                    other.Dispose();
                    other = null;
                }

                return true;
            });

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal("token-of-the-other-call" + Environment.NewLine, run.Out);
        Assert.Equal(0, _tool.Server.Ledger.TokenRequests());
    }

    [Fact]
    public async Task A_lock_held_for_two_minutes_ends_the_wait_with_exit_code_3_and_asks_nothing()
    {
        await GetOfflineTokenAsync();
        _tool.Time.Advance(TimeSpan.FromSeconds(9));
        _tool.Server.Ledger.Reset();
        using var other = HoldLock();
        var started = _tool.Time.GetUtcNow();

        var run = await _tool.StepClockUntilDoneAsync(_tool.StartAsync(_tool.Args("token", TestTokenServer.BasicClientId)), TimeSpan.FromSeconds(1));

        Assert.Equal(ExitCodes.ServerFailure, run.ExitCode);
        Assert.Contains("Another offline-token has held the token of client 'inventory' for 2 minutes", run.Error, StringComparison.Ordinal);
        Assert.InRange(_tool.Time.GetUtcNow() - started, TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(5));
        Assert.Equal(0, _tool.Server.Ledger.TokenRequests());
    }

    [Fact]
    public async Task A_lock_let_go_within_two_minutes_is_taken_and_the_token_refreshed()
    {
        await GetOfflineTokenAsync();
        _tool.Time.Advance(TimeSpan.FromSeconds(9));
        _tool.Server.Ledger.Reset();
        var other = HoldLock();
        var started = _tool.Time.GetUtcNow();

        var run = await _tool.StepClockUntilDoneAsync(
            _tool.StartAsync(_tool.Args("token", TestTokenServer.BasicClientId)),
            TimeSpan.FromSeconds(1),
            () =>
            {
                if (_tool.Time.GetUtcNow() - started >= TimeSpan.FromSeconds(119))
                {
                    other.Dispose();
                }

                return true;
            });

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal(1, _tool.Server.Ledger.TokenRequests(grant: GrantTypes.RefreshToken));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"access_token":"stale","use_until":"tomorrow"}""")]
    [InlineData("""{"access_token":42,"use_until":4102444800000}""")]
    [InlineData("""{"use_until":4102444800000}""")]
    [InlineData("""{"access_token":"","use_until":4102444800000}""")]
    public async Task A_damaged_access_token_file_costs_one_refresh_not_a_failure(string content)
    {
        await GetOfflineTokenAsync();
        await File.WriteAllTextAsync(CachePath, content);
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync(_tool.Args("token", TestTokenServer.BasicClientId));

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Matches("^eyJ[A-Za-z0-9_.-]+\r?\n$", run.Out);
        Assert.Equal(1, _tool.Server.Ledger.TokenRequests(grant: GrantTypes.RefreshToken));
    }

    [Fact]
    public async Task The_kept_access_token_is_handed_out_until_its_refresh_window_and_not_a_second_longer()
    {
        await GetOfflineTokenAsync();
        var kept = JsonDocument.Parse(await File.ReadAllTextAsync(CachePath)).RootElement;
        var until = DateTimeOffset.FromUnixTimeMilliseconds(kept.GetProperty("use_until").GetInt64());
        _tool.Time.SetUtcNow(until - TimeSpan.FromMilliseconds(1));
        _tool.Server.Ledger.Reset();

        var before = await _tool.RunAsync(_tool.Args("token", TestTokenServer.BasicClientId));
        _tool.Time.SetUtcNow(until);
        var at = await _tool.RunAsync(_tool.Args("token", TestTokenServer.BasicClientId));

        Assert.Equal(kept.GetProperty("access_token").GetString() + Environment.NewLine, before.Out);
        Assert.NotEqual(before.Out, at.Out);
        Assert.Equal(1, _tool.Server.Ledger.TokenRequests(grant: GrantTypes.RefreshToken));
    }

    [Fact]
    public async Task Token_with_a_store_directory_that_does_not_exist_says_to_fill_it_first()
    {
        var missing = Path.Combine(_tool.StoreDirectory, "missing");

        var run = await _tool.RunAsync("token", "--authority", _tool.Authority, "--client-id", TestTokenServer.BasicClientId, "--store", missing, "--client", "inventory");

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains($"The store directory {missing} does not exist: put an offline token there with login or get first.", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing));
    }

    private string CachePath => new FileRefreshTokenStore(_tool.StoreDirectory, TokenProtection.None).PathBeside("inventory", AccessTokenCache.Extension);

    /// <summary>What another offline-token holds while it refreshes: the exclusive lock beside the client's token.</summary>
    private FileStream HoldLock() => new(
        new FileRefreshTokenStore(_tool.StoreDirectory, TokenProtection.None).PathBeside("inventory", ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

    private async Task GetOfflineTokenAsync()
    {
        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, "inventory", "--scope", TestTokenServer.OfflineScope));
        Assert.True(run.ExitCode == 0, run.Error);
    }

    public void Dispose() => _tool.Dispose();
}
