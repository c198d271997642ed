namespace OfflineBearer.IntegrationTests.Support;

/// <summary>
/// Every test class that talks to a development token server joins this collection: xunit runs its tests one at a
/// time, so a test's statistics and clock moves never mix with another's.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedDevServers : ICollectionFixture<DevServerFixture>
{
    public const string Name = "Shared development token servers";
}
