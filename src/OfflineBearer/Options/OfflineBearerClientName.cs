namespace OfflineBearer.Options;

/// <summary>Registered once per named client that uses OfflineBearer, so services that serve all clients can find them.</summary>
/// <param name="Name">The HttpClient's name.</param>
internal sealed record OfflineBearerClientName(string Name);
