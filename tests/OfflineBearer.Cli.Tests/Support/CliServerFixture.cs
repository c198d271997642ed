using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Testing;

namespace OfflineBearer.Cli.Tests.Support;

/// <summary>
/// One development token server (rotating refresh tokens, strict reuse detection) for all tool tests, on a fake clock
/// the tool shares. A start costs seconds, so the tests share it and run one at a time (<see cref="CliServer"/>).
/// </summary>
public sealed class CliServerFixture : IAsyncLifetime
{
    private readonly TestTokenServerOptions _options;

    public CliServerFixture()
        : this(new TestTokenServerOptions())
    {
    }

    internal CliServerFixture(TestTokenServerOptions options) => _options = options;

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    public TestTokenServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _options.TimeProvider = Time;
        _options.ConfigureLogging = _ => { }; // the server's own logs are not under test
        Server = await TestTokenServer.StartAsync(_options);
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class CliServer : ICollectionFixture<CliServerFixture>
{
    public const string Name = "offline-token against the development server";
}
