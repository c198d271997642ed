using System.Text.Json;
using OfflineBearer.Cli.Tests.Support;
using OfflineBearer.Stores;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Cli.Tests;

[Collection(CliServer.Name)]
public sealed class TokenTests(CliServerFixture fixture) : IDisposable
{

    private readonly Tool _tool = new Tool(fixture).WithSecret(TestTokenServer.BasicClientSecret);

    [Fact]
    public async Task Token_twice_within_a_lifetime_asks_the_server_once()
    {
        await GetOfflineTokenAsync();
        _tool.Time.Advance(TimeSpan.FromSeconds(1));
        _tool.Server.Ledger.Reset();
        var store = await ReadStoreAsync();

        var first = await _tool.RunAsync(_tool.Args("token", TestTokenServer.BasicClientId));
        var second = await _tool.RunAsync(_tool.Args("token", TestTokenServer.BasicClientId));

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(0, second.ExitCode);
        Assert.Equal(first.Out, second.Out);
        Assert.Equal(string.Empty, second.Error);
        var cached = await _tool.RunAsync(_tool.Args("token", TestTokenServer.BasicClientId, "inventory", "--json"));
        using (var json = System.Text.Json.JsonDocument.Parse(cached.Out))
        {
            // Got one second ago, a 10-second token less its 1-second margin, handed out until half of that is left.
            Assert.Equal(_tool.Time.GetUtcNow() + TimeSpan.FromSeconds(3.5), json.RootElement.GetProperty("use_until").GetDateTimeOffset());
        }

        Assert.Equal(0, _tool.Server.Ledger.TokenRequests()); // login left a fresh access token beside the refresh token
        Assert.Equal(store, await ReadStoreAsync());
        Assert.DoesNotContain(store!, first.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_in_the_refresh_window_refreshes_once_rotates_the_store_and_is_then_served_from_it()
    {
        await GetOfflineTokenAsync();
        var before = await ReadStoreAsync();
        _tool.Time.Advance(TimeSpan.FromSeconds(9)); // 10-second tokens: past the point where they are handed out
        _tool.Server.Ledger.Reset();

        var refreshed = await _tool.RunAsync(_tool.Args("token", TestTokenServer.BasicClientId));
        var again = await _tool.RunAsync(_tool.Args("token", TestTokenServer.BasicClientId));

        Assert.Equal(0, refreshed.ExitCode);
        Assert.Equal(1, _tool.Server.Ledger.TokenRequests(grant: GrantTypes.RefreshToken));
        Assert.Equal(1, _tool.Server.Ledger.TokenRequests());
        Assert.Equal(0, _tool.Server.Ledger.ReusedRefreshTokens);
        var after = await ReadStoreAsync();
        Assert.NotEqual(before, after); // the rotated token was kept
        Assert.Equal(refreshed.Out, again.Out);
        Assert.Matches("^eyJ[A-Za-z0-9_.-]+\r?\n$", refreshed.Out); // the access token alone on one line
    }

    [Fact]
    public async Task Token_after_another_rotation_reads_the_new_refresh_token_from_the_store()
    {
        await GetOfflineTokenAsync();
        _tool.Server.Ledger.Reset();
        for (var i = 0; i < 3; i++)
        {
            _tool.Time.Advance(TimeSpan.FromSeconds(10));
            var run = await _tool.RunAsync(_tool.Args("token", TestTokenServer.BasicClientId));
            Assert.Equal(0, run.ExitCode);
        }

        Assert.Equal(0, _tool.Server.Ledger.ReusedRefreshTokens);
        Assert.Equal(0, _tool.Server.Ledger.FailedTokenRequests);
    }

    [Fact]
    public async Task After_get_token_and_revoke_need_only_the_store_and_the_client_name()
    {
        _tool.WithSecret(TestTokenServer.PostClientSecret);
        var get = await _tool.RunAsync(_tool.Args("get", TestTokenServer.PostClientId, "reports", "--client-auth", "post", "--scope", TestTokenServer.OfflineScope));
        _tool.Time.Advance(TimeSpan.FromSeconds(10));
        _tool.Server.Ledger.Reset();

        var token = await _tool.RunAsync("token", "--store", _tool.StoreDirectory, "--client", "reports");
        var revoke = await _tool.RunAsync("revoke", "--store", _tool.StoreDirectory, "--client", "reports");

        Assert.Equal(0, get.ExitCode);
        Assert.True(token.ExitCode == 0, token.Error); // post authentication, remembered: basic would be refused
        Assert.Equal(1, _tool.Server.Ledger.TokenRequests(grant: GrantTypes.RefreshToken));
        Assert.True(revoke.ExitCode == 0, revoke.Error);
        Assert.Empty(Directory.GetFiles(_tool.StoreDirectory, "*.json"));
    }

    [Fact]
    public async Task Token_with_nothing_remembered_asks_for_the_server()
    {
        var run = await _tool.RunAsync("token", "--store", _tool.StoreDirectory, "--client", "unknown");

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("--authority is required: the store remembers nothing", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_json_has_the_token_and_until_when_to_use_it()
    {
        await GetOfflineTokenAsync();
        _tool.Time.Advance(TimeSpan.FromSeconds(9));

        var run = await _tool.RunAsync(_tool.Args("token", TestTokenServer.BasicClientId, "inventory", "--json"));

        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal("inventory", json.RootElement.GetProperty("client").GetString());
        Assert.Equal("Bearer", json.RootElement.GetProperty("token_type").GetString());
        Assert.StartsWith("eyJ", json.RootElement.GetProperty("access_token").GetString(), StringComparison.Ordinal);
        // A 10-second token, less the 1-second margin, less half of it as the refresh window.
        Assert.Equal(_tool.Time.GetUtcNow() + TimeSpan.FromSeconds(4.5), json.RootElement.GetProperty("use_until").GetDateTimeOffset());
    }

    [Fact]
    public async Task Token_with_an_empty_store_is_a_usage_error_that_says_how_to_fill_it()
    {
        _tool.WithSecret(string.Empty);

        var run = await _tool.RunAsync(_tool.Args("token", TestTokenServer.PublicClientId, "device"));

        Assert.True(ExitCodes.UsageError == run.ExitCode, run.Error);
        Assert.Contains("offline-token login --store DIR --client device", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_needs_a_store()
    {
        var run = await _tool.RunAsync(_tool.Args("token", TestTokenServer.BasicClientId, clientName: null));

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("--store DIR --client NAME", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_with_a_revoked_offline_token_is_refused_with_exit_code_2()
    {
        _tool.WithSecret(string.Empty);
        var login = await _tool.RunAsync(["get", "--authority", _tool.Authority, "--client-id", TestTokenServer.BasicClientId]);
        await PutPublicOfflineTokenAsync();
        await _tool.Server.RevokeRefreshTokensAsync(TestTokenServer.PublicClientId);

        var run = await _tool.RunAsync(_tool.Args("token", TestTokenServer.PublicClientId, "device"));

        Assert.Equal(ExitCodes.UsageError, login.ExitCode); // no secret, no client_credentials
        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.Contains("'invalid_grant'", run.Error, StringComparison.Ordinal);
        Assert.Contains("obtain a new one", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_for_a_public_client_refreshes_with_its_stored_offline_token()
    {
        _tool.WithSecret(string.Empty);
        await PutPublicOfflineTokenAsync();
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync(_tool.Args("token", TestTokenServer.PublicClientId, "device"));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(1, _tool.Server.Ledger.TokenRequests(grant: GrantTypes.RefreshToken));
    }

    private async Task GetOfflineTokenAsync()
    {
        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, "inventory", "--scope", TestTokenServer.OfflineScope));
        Assert.Equal(0, run.ExitCode);
    }

    private async Task PutPublicOfflineTokenAsync() =>
        await new FileRefreshTokenStore(_tool.StoreDirectory, TokenProtection.None).SetAsync("device", await _tool.Server.GetPublicClientOfflineTokenAsync(), default);

    private Task<string?> ReadStoreAsync() => new FileRefreshTokenStore(_tool.StoreDirectory, TokenProtection.None).GetAsync("inventory", default).AsTask();

    public void Dispose() => _tool.Dispose();
}
