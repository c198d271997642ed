using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Cli.Tests.Support;
using OfflineBearer.Testing.Redis;
using OfflineBearer.Fleet;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Cli.Tests;

/// <summary>
/// The offline token put where AddOfflineBearerRedis reads it, for a fleet; a real Redis server on loopback
/// (<c>redis-server</c>, or the embedded Garnet where it is not installed or <c>OFFLINEBEARER_TEST_REDIS=embedded</c>).
/// </summary>
[Collection(CliServer.Name)]
public sealed class RedisTests(CliServerFixture fixture) : IAsyncLifetime, IDisposable
{
    private readonly Tool _tool = new Tool(fixture).WithSecret(TestTokenServer.BasicClientSecret);
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task Get_writes_the_fleets_first_state_and_token_adopts_it_without_a_token_request()
    {
        _tool.Server.Ledger.Reset();

        var get = await _tool.RunAsync(Args("get", "--scope", $"offline_access {TestTokenServer.ApiScope}"));
        var first = await _tool.RunAsync(Args("token"));
        var second = await _tool.RunAsync(Args("token"));

        Assert.True(get.ExitCode == 0, get.Error);
        Assert.Contains("stored for client 'inventory' in Redis", get.Error, StringComparison.Ordinal);
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Equal(first.Out, second.Out);
        Assert.Equal(1, _tool.Server.Ledger.TokenRequests()); // the get; both tokens came from Redis
        var state = await ReadStateAsync();
        Assert.Equal(1, state!.Version);
        Assert.NotNull(state.RefreshToken);
        Assert.Equal(state.AccessToken + Environment.NewLine, first.Out);
    }

    [Fact]
    public async Task Token_after_expiry_refreshes_once_through_the_fleets_lease_and_writes_the_next_version()
    {
        await _tool.RunAsync(Args("get", "--scope", $"offline_access {TestTokenServer.ApiScope}"));
        var before = await ReadStateAsync();
        _tool.Time.Advance(TimeSpan.FromSeconds(10));
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync(Args("token"));

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal(1, _tool.Server.Ledger.TokenRequests(grant: GrantTypes.RefreshToken));
        Assert.Equal(0, _tool.Server.Ledger.ReusedRefreshTokens);
        var after = await ReadStateAsync();
        Assert.Equal(2, after!.Version);
        Assert.NotEqual(before!.RefreshToken, after.RefreshToken);
    }

    [Fact]
    public async Task A_second_get_moves_the_fleet_to_the_new_session_and_puts_the_replaced_refresh_token_on_its_record()
    {
        await _tool.RunAsync(Args("get", "--scope", $"offline_access {TestTokenServer.ApiScope}"));
        var before = await ReadStateAsync();

        var run = await _tool.RunAsync(Args("get", "--scope", $"offline_access {TestTokenServer.ApiScope}"));

        Assert.True(run.ExitCode == 0, run.Error);
        var after = await ReadStateAsync();
        Assert.Equal(before!.Version + 1, after!.Version);
        Assert.NotEqual(before.RefreshToken, after.RefreshToken);
        Assert.Equal([SupersededRefreshTokens.HashOf(before.RefreshToken!)], after.SupersededRefreshTokenHashes);
    }

    [Fact]
    public async Task Store_and_redis_together_are_a_usage_error()
    {
        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, "inventory", "--redis", _redis.Configuration));

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("not both", run.Error, StringComparison.Ordinal);
    }

    private string[] Args(string command, params string[] more) =>
        [command, "--authority", _tool.Authority, "--client-id", TestTokenServer.BasicClientId, "--redis", _redis.Configuration, "--client", "inventory", .. more];

    private async Task<SharedTokenState?> ReadStateAsync()
    {
        var services = new ServiceCollection().AddOfflineBearerRedis(_redis.Configuration).BuildServiceProvider();
        await using (services)
        {
            return await services.GetRequiredService<ISharedTokenStore>().ReadAsync("inventory", default);
        }
    }

    public void Dispose() => _tool.Dispose();
}
