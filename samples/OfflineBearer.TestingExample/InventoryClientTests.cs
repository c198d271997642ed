using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Testing;

namespace OfflineBearer.TestingExample;

/// <summary>
/// The inventory service tested as its team would: a real token server per test, one fake clock for both sides, the
/// handler with the defaults the service ships with, and the server's ledger as the witness.
/// </summary>
public sealed class InventoryClientTests : IAsyncLifetime, IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly DirectoryInfo _tokens = Directory.CreateTempSubdirectory("inventory-tokens-");
    private TestTokenServer _idp = null!;

    public async Task InitializeAsync() => _idp = await TestTokenServer.StartAsync(o =>
    {
        o.AccessTokenLifetime = TimeSpan.FromMinutes(5);
        o.RotateRefreshTokens = true; // with reuse detection: a presented spent token revokes the family
        o.TimeProvider = _time;
        o.Clients.Add("svc");
    });

    public async Task DisposeAsync() => await _idp.DisposeAsync();

    public void Dispose() => _tokens.Delete(recursive: true);

    [Fact]
    public async Task Steady_traffic_over_many_token_lifetimes_costs_one_token_request_per_lifetime_and_never_replays_a_refresh_token()
    {
        await using var service = StartService();
        var inventory = service.GetRequiredService<InventoryClient>();

        for (var minute = 0; minute < 30; minute++)
        {
            Assert.Equal("svc", await _idp.AdvanceUntilDoneAsync(_time.Advance, inventory.WhoAmIAsync()));
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(1, _idp.Ledger.TokenRequests("svc", grant: "client_credentials"));
        Assert.InRange(_idp.Ledger.TokenRequests("svc", grant: "refresh_token"), 6, 12);
        Assert.Equal(0, _idp.Ledger.ApiRequests(rejected: true));
        _idp.Ledger.AssertNoRefreshTokenPresentedTwice();
    }

    [Fact]
    public async Task An_outage_while_the_token_is_valid_fails_no_call()
    {
        await using var service = StartService();
        var inventory = service.GetRequiredService<InventoryClient>();
        Assert.Equal("svc", await inventory.WhoAmIAsync());

        _idp.Faults.Outage(TimeSpan.FromMinutes(10));
        for (var second = 0; second < 270; second += 30) // up to 4.5 minutes into a 5-minute token
        {
            Assert.Equal("svc", await _idp.AdvanceUntilDoneAsync(_time.Advance, inventory.WhoAmIAsync()));
            _time.Advance(TimeSpan.FromSeconds(30));
        }

        Assert.True(_idp.Ledger.FaultedRequests > 0, "the service never tried to refresh during the outage");
        Assert.Equal(1, _idp.Ledger.TokenRequests("svc")); // the first token served the whole outage
    }

    [Fact]
    public async Task A_token_that_expires_during_the_outage_fails_with_the_typed_error_and_recovers_after_it()
    {
        await using var service = StartService();
        var inventory = service.GetRequiredService<InventoryClient>();
        Assert.Equal("svc", await inventory.WhoAmIAsync());

        _idp.Faults.Outage(TimeSpan.FromMinutes(10));
        _time.Advance(TimeSpan.FromMinutes(6));
        var failure = await Assert.ThrowsAsync<OfflineBearerException>(() => _idp.AdvanceUntilDoneAsync(_time.Advance, inventory.WhoAmIAsync()));
        Assert.DoesNotContain(TestTokenServer.SecretOf("svc"), failure.ToString(), StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal("svc", await _idp.AdvanceUntilDoneAsync(_time.Advance, inventory.WhoAmIAsync()));
    }

    [Fact]
    public async Task Throttling_with_Retry_After_is_waited_out()
    {
        await using var service = StartService();
        _idp.Faults.Next(3).Respond(HttpStatusCode.TooManyRequests, retryAfter: TimeSpan.FromSeconds(2));

        Assert.Equal("svc", await _idp.AdvanceUntilDoneAsync(_time.Advance, service.GetRequiredService<InventoryClient>().WhoAmIAsync()));
        Assert.Equal(3, _idp.Ledger.FaultedRequests);
    }

    [Fact]
    public async Task A_slow_token_server_slows_the_first_call_by_its_latency_only()
    {
        await using var service = StartService();
        var start = _time.GetUtcNow();
        _idp.Faults.Latency(TimeSpan.FromMilliseconds(800));

        Assert.Equal("svc", await _idp.AdvanceUntilDoneAsync(_time.Advance, service.GetRequiredService<InventoryClient>().WhoAmIAsync()));
        Assert.InRange(_time.GetUtcNow() - start, TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task The_rotated_refresh_token_survives_a_restart_in_the_file_store()
    {
        await using (var first = StartService(_tokens.FullName))
        {
            Assert.Equal("svc", await first.GetRequiredService<InventoryClient>().WhoAmIAsync());
            _time.Advance(TimeSpan.FromMinutes(6));
            Assert.Equal("svc", await _idp.AdvanceUntilDoneAsync(_time.Advance, first.GetRequiredService<InventoryClient>().WhoAmIAsync()));
        }

        _time.Advance(TimeSpan.FromMinutes(6));
        await using (var restarted = StartService(_tokens.FullName))
        {
            Assert.Equal("svc", await _idp.AdvanceUntilDoneAsync(_time.Advance, restarted.GetRequiredService<InventoryClient>().WhoAmIAsync()));
        }

        Assert.Equal(1, _idp.Ledger.TokenRequests("svc", grant: "client_credentials")); // the restart refreshed, it did not start over
        Assert.Equal(2, _idp.Ledger.TokenRequests("svc", grant: "refresh_token"));
        _idp.Ledger.AssertNoRefreshTokenPresentedTwice();
    }

    [Fact]
    public async Task A_revoked_offline_session_is_replaced_by_a_new_client_credentials_grant()
    {
        await using var service = StartService();
        var inventory = service.GetRequiredService<InventoryClient>();
        Assert.Equal("svc", await inventory.WhoAmIAsync());

        await _idp.RevokeRefreshTokensAsync("svc");
        _time.Advance(TimeSpan.FromMinutes(6));

        Assert.Equal("svc", await _idp.AdvanceUntilDoneAsync(_time.Advance, inventory.WhoAmIAsync()));
        Assert.Equal(2, _idp.Ledger.TokenRequests("svc", grant: "client_credentials"));
    }

    private ServiceProvider StartService(string? tokenDirectory = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddInventory(_idp.ApiUrl, _idp.ClientOptions("svc"), tokenDirectory);
        return services.BuildServiceProvider();
    }
}
