using OfflineBearer.Testing;

namespace OfflineBearer.Cli.Tests.Support;

/// <summary>A server whose access tokens live ten minutes: long enough that the library's 60-second refresh window, not half the lifetime, decides until when a token is handed out.</summary>
public sealed class LongLivedTokenServerFixture : IAsyncLifetime
{
    public CliServerFixture Inner { get; } = new(new TestTokenServerOptions { AccessTokenLifetime = TimeSpan.FromMinutes(10) });

    public Task InitializeAsync() => Inner.InitializeAsync();

    public Task DisposeAsync() => Inner.DisposeAsync();
}
