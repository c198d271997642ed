namespace OfflineBearer.Redis.Tests.Support;

/// <summary>The state a fleet shares in Redis, read as a test checks it: through a store of its own, as no replica.</summary>
internal static class FleetState
{
    /// <summary>What the replicas' client has in Redis under <paramref name="prefix"/>, or null when nothing is there.</summary>
    public static async Task<SharedTokenState?> ReadStateAsync(this FleetFixture fleet, string prefix)
    {
        await using var store = fleet.Store(prefix);
        return await store.ReadAsync(Replica.ClientName, default);
    }
}
