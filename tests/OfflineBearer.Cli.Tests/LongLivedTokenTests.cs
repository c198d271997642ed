using System.Text.Json;
using OfflineBearer.Cli.Tests.Support;
using OfflineBearer.Stores;

namespace OfflineBearer.Cli.Tests;

/// <summary>
/// With ten-minute access tokens, <c>token</c> hands a token out until the library's refresh window (RefreshBeforeExpiry,
/// 60 seconds) before its expiry, whether the token was just got by <c>get</c> or refreshed by <c>token</c> itself.
/// </summary>
public sealed class LongLivedTokenTests(LongLivedTokenServerFixture fixture) : IClassFixture<LongLivedTokenServerFixture>, IDisposable
{
    // 600 seconds, less the library's 1-second margin, less the 60-second refresh window.
    private static readonly TimeSpan HandedOutFor = TimeSpan.FromSeconds(539);

    private readonly Tool _tool = new Tool(fixture.Inner).WithSecret(TestTokenServer.BasicClientSecret);

    [Fact]
    public async Task A_token_got_by_get_is_handed_out_until_a_minute_before_it_expires()
    {
        var sentAt = _tool.Time.GetUtcNow();
        var get = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, "inventory", "--scope", $"offline_access {TestTokenServer.ApiScope}"));

        var token = await _tool.RunAsync(_tool.Args("token", TestTokenServer.BasicClientId, "inventory", "--json"));

        Assert.True(get.ExitCode == 0, get.Error);
        using var json = JsonDocument.Parse(token.Out);
        Assert.Equal(sentAt + HandedOutFor, json.RootElement.GetProperty("use_until").GetDateTimeOffset());
    }

    [Fact]
    public async Task A_token_refreshed_by_token_is_handed_out_until_a_minute_before_it_expires()
    {
        var get = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, "reports", "--scope", $"offline_access {TestTokenServer.ApiScope}"));
        File.Delete(new FileRefreshTokenStore(_tool.StoreDirectory, TokenProtection.None).PathBeside("reports", AccessTokenCache.Extension));
        var sentAt = _tool.Time.GetUtcNow();

        var token = await _tool.RunAsync(_tool.Args("token", TestTokenServer.BasicClientId, "reports", "--json"));

        Assert.True(get.ExitCode == 0, get.Error);
        Assert.True(token.ExitCode == 0, token.Error);
        using var json = JsonDocument.Parse(token.Out);
        Assert.Equal(sentAt + HandedOutFor, json.RootElement.GetProperty("use_until").GetDateTimeOffset());
    }

    [Fact]
    public async Task Get_says_when_the_access_token_expires_and_where_the_tokens_went()
    {
        var sentAt = _tool.Time.GetUtcNow();

        var stored = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, "billing", "--scope", $"offline_access {TestTokenServer.ApiScope}"));
        var accessOnly = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, "audit", "--scope", TestTokenServer.ApiScope, "--print-refresh-token"));
        var printed = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, clientName: null, "--scope", TestTokenServer.ApiScope, "--json"));

        var expires = (sentAt + TimeSpan.FromSeconds(599)).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(
            $"Got an access token for client 'billing' (client_credentials; scope: as the server chose; expires {expires}) and a refresh token: stored for client 'billing' in the file store.",
            stored.Error.TrimEnd());
        Assert.Contains("and no refresh token: nothing stored: the server issued no refresh token.", accessOnly.Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, accessOnly.Out); // no refresh token to print
        Assert.False(File.Exists(new FileRefreshTokenStore(_tool.StoreDirectory, TokenProtection.None).PathBeside("audit", ".refresh-token.json")));
        Assert.Contains($"Got an access token for client '{TestTokenServer.BasicClientId}'", printed.Error, StringComparison.Ordinal);
        Assert.Contains("and no refresh token: not stored (no --store or --redis).", printed.Error, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(printed.Out);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("stored").ValueKind);
        Assert.False(json.RootElement.GetProperty("refresh_token_issued").GetBoolean());
    }

    [Fact]
    public async Task A_client_authentication_given_on_the_command_line_wins_over_the_remembered_one()
    {
        _tool.WithSecret(TestTokenServer.PostClientSecret);
        var get = await _tool.RunAsync(_tool.Args("get", TestTokenServer.PostClientId, "posting", "--scope", $"offline_access {TestTokenServer.ApiScope}", "--client-auth", "post"));
        File.Delete(new FileRefreshTokenStore(_tool.StoreDirectory, TokenProtection.None).PathBeside("posting", AccessTokenCache.Extension));

        var basic = await _tool.RunAsync("token", "--store", _tool.StoreDirectory, "--client", "posting", "--client-auth", "basic");
        var remembered = await _tool.RunAsync("token", "--store", _tool.StoreDirectory, "--client", "posting");

        Assert.True(get.ExitCode == 0, get.Error);
        Assert.Equal(ExitCodes.Refused, basic.ExitCode);
        Assert.Contains("'invalid_client'", basic.Error, StringComparison.Ordinal);
        Assert.True(remembered.ExitCode == 0, remembered.Error);
    }

    public void Dispose() => _tool.Dispose();
}
