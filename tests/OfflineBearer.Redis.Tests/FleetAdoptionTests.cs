using System.Net;
using OfflineBearer.Redis.Tests.Support;

namespace OfflineBearer.Redis.Tests;

/// <summary>
/// When a replica takes the token another replica got, and when it does not: an adopted token keeps the schedule it
/// had for the replica that got it, so the fleet refreshes it once, when it is due, whoever holds it.
/// </summary>
[Collection(SharedFleet.Name)]
public sealed class FleetAdoptionTests(FleetFixture fleet)
{
    [Fact]
    public async Task A_token_adopted_part_way_through_its_life_is_refreshed_when_it_is_due_not_a_whole_lifetime_later()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        await using var first = new Replica(fleet, prefix);
        Assert.Equal(HttpStatusCode.OK, await first.PingAsync());
        fleet.Time.Advance(fleet.RefreshWindowOpensAfter - TimeSpan.FromSeconds(1));
        await using var second = new Replica(fleet, prefix);
        Assert.Equal(HttpStatusCode.OK, await second.PingAsync());
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests());

        fleet.Time.Advance(TimeSpan.FromSeconds(1));
        var status = await second.PingAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, fleet.TestTokenServer.Ledger.TokenRequests());
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
    }

    [Fact]
    public async Task A_replica_does_not_adopt_a_token_whose_refresh_window_has_opened_it_refreshes_it()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        await using var first = new Replica(fleet, prefix);
        Assert.Equal(HttpStatusCode.OK, await first.PingAsync());

        // To the tick: the window opens now.
        fleet.Time.Advance(fleet.RefreshWindowOpensAfter);
        await using var second = new Replica(fleet, prefix);
        var status = await second.PingAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, fleet.TestTokenServer.Ledger.TokenRequests());
        Assert.DoesNotContain(second.Logs.GetSnapshot(), record => record.Id.Id == 8);
    }

    [Fact]
    public async Task A_shared_expiry_beyond_the_tokens_lifetime_a_writer_whose_clock_runs_ahead_is_counted_from_now_not_from_the_future()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        await using (var first = new Replica(fleet, prefix))
        {
            Assert.Equal(HttpStatusCode.OK, await first.PingAsync());
        }

        // The same token, shared again by a replica whose clock is five seconds ahead.
        await using (var ahead = fleet.Store(prefix))
        {
            var state = await ahead.ReadAsync(Replica.ClientName, default);
            var lease = await ahead.TryAcquireLeaseAsync(Replica.ClientName, TimeSpan.FromMinutes(1), default);
            Assert.True(await ahead.TryWriteAsync(Replica.ClientName, lease!, new SharedTokenState(
                state!.Version + 1, state.RefreshToken, state.AccessToken, state.AccessTokenLifetime, state.AccessTokenExpiresAt + TimeSpan.FromSeconds(5)), default));
            await ahead.ReleaseLeaseAsync(Replica.ClientName, lease!, default);
        }

        await using var second = new Replica(fleet, prefix);
        Assert.Equal(HttpStatusCode.OK, await second.PingAsync());
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests());

        fleet.Time.Advance(fleet.RefreshWindowOpensAfter);
        var status = await second.PingAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, fleet.TestTokenServer.Ledger.TokenRequests());
    }

    [Fact]
    public async Task After_the_api_refuses_the_fleets_token_a_replica_gets_a_new_one_instead_of_adopting_the_refused_one_again()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        await using var writer = new Replica(fleet, prefix);
        await using var adopter = new Replica(fleet, prefix);
        Assert.Equal(HttpStatusCode.OK, await writer.PingAsync());
        Assert.Equal(HttpStatusCode.OK, await adopter.PingAsync());

        // Refused first at the replica that adopted the token, then at the one that got the token it refused.
        await fleet.TestTokenServer.RevokeAccessTokensAsync();
        var afterAdopting = await adopter.PingAsync();
        await fleet.TestTokenServer.RevokeAccessTokensAsync();
        var afterWriting = await adopter.PingAsync();
        var others = await writer.PingAsync();

        Assert.Equal(HttpStatusCode.OK, afterAdopting);
        Assert.Equal(HttpStatusCode.OK, afterWriting);
        Assert.Equal(HttpStatusCode.OK, others);
        Assert.Equal(3, fleet.TestTokenServer.Ledger.ApiRequests(rejected: true));
        Assert.Equal(2, fleet.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(0, fleet.TestTokenServer.Ledger.ReusedRefreshTokens);
    }
}
