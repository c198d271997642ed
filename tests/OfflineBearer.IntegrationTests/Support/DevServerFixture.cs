using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Testing;

namespace OfflineBearer.IntegrationTests.Support;

/// <summary>
/// The development token servers of the whole run, started once. A start costs seconds of CPU (OpenIddict 7 makes two
/// fresh RSA-4096 keys), so the tests share two servers rather than start one each; they run one at a time
/// (<see cref="SharedDevServers"/>) and <see cref="DevServerHarness"/> gives each a clean slate.
/// </summary>
public sealed class DevServerFixture : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The default server: refresh tokens rotate with strict reuse detection.</summary>
    public SharedDevServer Rotating { get; private set; } = null!;

    /// <summary>A server whose refresh tokens stay valid after use.</summary>
    public SharedDevServer NonRotating { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var rotating = StartAsync(rotateRefreshTokens: true);
        var nonRotating = StartAsync(rotateRefreshTokens: false);
        try
        {
            await Task.WhenAll(rotating, nonRotating);
        }
        catch
        {
            // xunit does not dispose a fixture whose start failed: stop the server that did start.
            foreach (var start in new[] { rotating, nonRotating }.Where(start => start.IsCompletedSuccessfully))
            {
                await (await start).Server.DisposeAsync();
            }

            throw;
        }

        Rotating = await rotating;
        NonRotating = await nonRotating;
    }

    public async Task DisposeAsync()
    {
        foreach (var shared in new[] { Rotating, NonRotating })
        {
            if (shared is not null)
            {
                await shared.Server.DisposeAsync();
            }
        }
    }

    private static async Task<SharedDevServer> StartAsync(bool rotateRefreshTokens)
    {
        var time = new FakeTimeProvider(Start);
        var options = new TestTokenServerOptions
        {
            TimeProvider = time,
            RotateRefreshTokens = rotateRefreshTokens,
            ConfigureLogging = _ => { }, // the server's own logs are not under test
        };

        return new SharedDevServer(await TestTokenServer.StartAsync(options), time, options.AccessTokenLifetime);
    }
}
