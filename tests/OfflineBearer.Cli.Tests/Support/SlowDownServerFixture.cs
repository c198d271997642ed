using OfflineBearer.Testing;

namespace OfflineBearer.Cli.Tests.Support;

/// <summary>A server that announces 5-second device polling but wants 8 seconds: it answers slow_down to a client that polls as told.</summary>
public sealed class SlowDownServerFixture : IAsyncLifetime
{
    public CliServerFixture Inner { get; } = new(new TestTokenServerOptions
    {
        AnnouncedDevicePollingInterval = TimeSpan.FromSeconds(5),
        DevicePollingInterval = TimeSpan.FromSeconds(8),
    });

    public Task InitializeAsync() => Inner.InitializeAsync();

    public Task DisposeAsync() => Inner.DisposeAsync();
}
