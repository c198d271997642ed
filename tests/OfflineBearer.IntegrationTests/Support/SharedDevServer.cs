using Microsoft.Extensions.Time.Testing;

namespace OfflineBearer.IntegrationTests.Support;

/// <summary>A running development token server with the fake clock it was started with, shared by tests that run one at a time.</summary>
public sealed class SharedDevServer(TestTokenServer server, FakeTimeProvider time, TimeSpan accessTokenLifetime)
{
    public TestTokenServer Server { get; } = server;

    public FakeTimeProvider Time { get; } = time;

    /// <summary>The <c>exp - iat</c> of the access tokens it issues.</summary>
    public TimeSpan AccessTokenLifetime { get; } = accessTokenLifetime;
}
