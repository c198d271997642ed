using OfflineBearer.Cli.Tests.Support;
using OfflineBearer.Stores;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Cli.Tests;

[Collection(CliServer.Name)]
public sealed class RevokeTests(CliServerFixture fixture) : IDisposable
{
    private readonly Tool _tool = new(fixture);

    [Theory]
    [InlineData(TestTokenServer.BasicClientId, TestTokenServer.BasicClientSecret, "basic")]
    [InlineData(TestTokenServer.PostClientId, TestTokenServer.PostClientSecret, "post")]
    public async Task Revoke_ends_the_offline_token_at_the_server_and_removes_it_from_the_store(string clientId, string secret, string auth)
    {
        _tool.WithSecret(secret);
        await _tool.RunAsync(_tool.Args("get", clientId, "inventory", "--scope", $"offline_access {TestTokenServer.ApiScope}", "--client-auth", auth));
        var store = new FileRefreshTokenStore(_tool.StoreDirectory, TokenProtection.None);
        var revoked = (await store.GetAsync("inventory", default))!;

        var run = await _tool.RunAsync(_tool.Args("revoke", clientId, "inventory", "--client-auth", auth));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Revoked the refresh token of client 'inventory'", run.Error, StringComparison.Ordinal);
        Assert.Null(await store.GetAsync("inventory", default));
        Assert.Empty(Directory.GetFiles(_tool.StoreDirectory, "*.json"));
        var refused = await RefreshAsync(clientId, secret, auth, revoked);
        Assert.Equal("invalid_grant", refused.Error);
    }

    [Fact]
    public async Task Revoke_by_a_public_client_ends_its_offline_token()
    {
        var offline = await _tool.Server.GetPublicClientOfflineTokenAsync();
        await new FileRefreshTokenStore(_tool.StoreDirectory, TokenProtection.None).SetAsync("device", offline, default);

        var run = await _tool.RunAsync(_tool.Args("revoke", TestTokenServer.PublicClientId, "device"));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("invalid_grant", (await RefreshAsync(TestTokenServer.PublicClientId, null, "basic", offline)).Error);
        Assert.DoesNotContain(offline, run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_with_nothing_stored_is_a_usage_error()
    {
        var run = await _tool.RunAsync(_tool.Args("revoke", TestTokenServer.PublicClientId, "device"));

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("holds no refresh token for client 'device'", run.Error, StringComparison.Ordinal);
    }

    /// <summary>The library's own refresh grant with a given refresh token: what the service would meet.</summary>
    private async Task<OfflineBearerException> RefreshAsync(string clientId, string? secret, string auth, string refreshToken)
    {
        _tool.WithSecret(secret ?? string.Empty);
        var options = new OfflineBearerOptions
        {
            Authority = _tool.Authority,
            ClientId = clientId,
            ClientSecret = secret,
            ClientAuthentication = auth == "post" ? ClientAuthenticationMethod.ClientSecretPost : ClientAuthenticationMethod.ClientSecretBasic,
        };
        var session = await ClientSession.OpenAsync(options, new StoreArguments(null, null, "offlinebearer:", null), new CliEnvironment
        {
            Out = TextWriter.Null,
            Error = TextWriter.Null,
            In = TextReader.Null,
            GetVariable = _ => null,
            Time = _tool.Time,
            OpenBrowser = _ => false,
        });
        await using (session)
        {
            return await Assert.ThrowsAsync<OfflineBearerException>(() => session.Endpoint.RequestAsync(TokenGrant.Refresh(refreshToken), default));
        }
    }

    public void Dispose() => _tool.Dispose();
}
