using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Testing;

namespace OfflineBearer.IntegrationTests;

/// <summary>
/// A development server of its own for <see cref="DevServerDPoPNonceTests"/>, started once for the class: it requires a
/// DPoP proof with every token request, and the server's nonce in every proof.
/// </summary>
public sealed class DevServerDPoPNonceServer : IAsyncLifetime
{
    public TestTokenServer Server { get; private set; } = null!;

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));

    public async Task InitializeAsync() =>
        Server = await TestTokenServer.StartAsync(new TestTokenServerOptions
        {
            TimeProvider = Time,
            RequireDPoP = true,
            RequireDPoPNonce = true,
            ConfigureLogging = _ => { }, // the server's own logs are not under test
        });

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
