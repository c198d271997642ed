using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using OfflineBearer.Redis.Tests.Support;

namespace OfflineBearer.Redis.Tests;

/// <summary>A fleet's rotations and shared writes show in the same metrics as a single client's.</summary>
[Collection(SharedFleet.Name)]
public sealed class FleetMetricsTests(FleetFixture fleet)
{
    [Fact]
    public async Task The_shared_writes_and_the_rotation_of_a_fleet_are_counted()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var measured = new ConcurrentQueue<(string Instrument, string? Outcome)>();
        using var listener = new MeterListener();

        // Each replica's meter comes from its own provider's IMeterFactory; a listener sees them all by name.
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == OfflineBearerDiagnostics.MeterName && instrument.Name is "offlinebearer.refresh_token.rotations" or "offlinebearer.store.writes")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
        {
            string? outcome = null;
            foreach (var tag in tags)
            {
                outcome = tag.Key == "offlinebearer.outcome" ? tag.Value as string : outcome;
            }

            measured.Enqueue((instrument.Name, outcome));
        });
        listener.Start();
        await using var a = new Replica(fleet, prefix);
        await using var b = new Replica(fleet, prefix);

        Assert.Equal(HttpStatusCode.OK, await a.PingAsync()); // client_credentials: the fleet's first state, no rotation
        Assert.DoesNotContain(measured, m => m.Instrument == "offlinebearer.refresh_token.rotations");
        fleet.Time.Advance(fleet.AccessTokenLifetime);
        Assert.Equal(HttpStatusCode.OK, await b.PingAsync()); // the refresh: a new refresh token in place of the old

        Assert.Single(measured, m => m.Instrument == "offlinebearer.refresh_token.rotations");
        Assert.Equal(["success", "success"], measured.Where(m => m.Instrument == "offlinebearer.store.writes").Select(m => m.Outcome));
    }
}
