using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Testing;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

/// <summary>
/// A development server of its own for <see cref="DevServerDPoPNonceRotationTests"/>, started once for the class: every
/// DPoP proof must carry the server's nonce, which changes every second of its fake clock.
/// </summary>
public sealed class DevServerDPoPRotatingNonceServer : IAsyncLifetime
{
    public static readonly TimeSpan RotationInterval = TimeSpan.FromSeconds(1);

    public SharedDevServer Shared { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
        var options = new TestTokenServerOptions
        {
            TimeProvider = time,
            RequireDPoPNonce = true,
            DPoPNonceRotationInterval = RotationInterval,
            ConfigureLogging = _ => { }, // the server's own logs are not under test
        };
        Shared = new SharedDevServer(await TestTokenServer.StartAsync(options), time, options.AccessTokenLifetime);
    }

    public async Task DisposeAsync()
    {
        if (Shared is not null)
        {
            await Shared.Server.DisposeAsync();
        }
    }
}
