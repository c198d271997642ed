using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Redis.Tests.Support;

namespace OfflineBearer.Redis.Tests;

/// <summary>
/// Options reloaded in a fleet (#21): new credentials are used at the next token request; reloaded options that make
/// another client are refused, because the shared store holds the old client's tokens under the same name, and the token
/// in hand serves until it expires.
/// </summary>
[Collection(SharedFleet.Name)]
public sealed class FleetReloadTests(FleetFixture fleet)
{
    [Fact]
    public async Task A_reload_to_another_client_is_refused_by_a_fleet_and_the_token_in_hand_serves_until_it_expires()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection().Build();
        await using var replica = new Replica(fleet, prefix, more: services => services.Configure<OfflineBearerOptions>(Replica.ClientName, configuration));
        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());

        configuration["ClientId"] = TestTokenServer.PostClientId;
        configuration["ClientSecret"] = TestTokenServer.PostClientSecret;
        configuration["ClientAuthentication"] = "ClientSecretPost";
        configuration.Reload();
        var stillServing = await replica.PingAsync();
        fleet.Time.Advance(fleet.AccessTokenLifetime + TimeSpan.FromSeconds(1));
        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => replica.Client.GetAsync("ping"));

        Assert.Equal(HttpStatusCode.OK, stillServing);
        Assert.Contains("Give the new client a new name", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.TokenRequests(TestTokenServer.PostClientId));
    }

    [Fact]
    public async Task A_reloaded_secret_of_the_same_client_is_used_by_the_fleet_at_the_next_token_request()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection().Build();
        await using var replica = new Replica(fleet, prefix, more: services => services.Configure<OfflineBearerOptions>(Replica.ClientName, configuration));
        Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());

        configuration["ClientSecret"] = "a-secret-the-server-refuses";
        configuration.Reload();
        fleet.Time.Advance(fleet.AccessTokenLifetime + TimeSpan.FromSeconds(1));
        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => replica.Client.GetAsync("ping"));

        Assert.Equal("invalid_client", error.Error);
        Assert.DoesNotContain("a-secret-the-server-refuses", error.ToString(), StringComparison.Ordinal);
    }
}
