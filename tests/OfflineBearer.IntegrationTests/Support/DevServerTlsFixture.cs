using System.Security.Cryptography.X509Certificates;
using OfflineBearer.Testing;

namespace OfflineBearer.IntegrationTests.Support;

/// <summary>
/// One development server with mutual TLS (RFC 8705) for a test class: https on loopback with a throwaway server
/// certificate, a client certificate authority for <c>tls-client</c>, and a registered self-signed certificate for
/// <c>self-signed-tls-client</c>. Access tokens live an hour, so no test meets an expiry on the wall clock.
/// </summary>
public sealed class DevServerTlsFixture : IAsyncLifetime
{
    public X509Certificate2 ServerCertificate { get; } = TestCertificates.CreateServerCertificate();

    /// <summary>The authority the server trusts for <c>tls-client</c>, with its private key to issue leaves.</summary>
    public X509Certificate2 Authority { get; } = TestCertificates.CreateAuthority();

    /// <summary>The self-signed certificate registered for <c>self-signed-tls-client</c>, with its private key.</summary>
    public X509Certificate2 SelfSignedClientCertificate { get; } = TestCertificates.CreateSelfSignedClientCertificate();

    public TestTokenServer Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await TestTokenServer.StartAsync(new TestTokenServerOptions
        {
            ServerCertificate = ServerCertificate,
            TlsClientCertificateAuthority = Authority,
            SelfSignedTlsClientCertificate = SelfSignedClientCertificate,
            AccessTokenLifetime = TimeSpan.FromHours(1),
        });

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        ServerCertificate.Dispose();
        Authority.Dispose();
        SelfSignedClientCertificate.Dispose();
    }
}
