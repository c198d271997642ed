using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// The mutual TLS (RFC 8705) side of a server started with a certificate: the endpoint aliases, the client certificates
/// it registers (public parts only, as OpenIddict requires), and its issuer, which OpenIddict needs to advertise absolute
/// aliases but which exists only once Kestrel has bound its port.
/// </summary>
internal sealed class MutualTls : IDisposable
{
    /// <summary>The token endpoint's alias (RFC 8705 section 5), a second URI of OpenIddict's token endpoint.</summary>
    public const string TokenAliasPath = "connect/mtls/token";

    /// <summary>The revocation endpoint's alias, a second URI of OpenIddict's revocation endpoint.</summary>
    public const string RevocationAliasPath = "connect/mtls/revoke";

    private Uri? _issuer;

    public MutualTls(TestTokenServerOptions options)
    {
        ServerCertificate = options.ServerCertificate ?? throw new ArgumentException("Mutual TLS needs a server certificate.", nameof(options));
        Authority = PublicPartOf(options.TlsClientCertificateAuthority);
        SelfSignedClientCertificate = PublicPartOf(options.SelfSignedTlsClientCertificate);
    }

    public X509Certificate2 ServerCertificate { get; }

    /// <summary>The root that <see cref="TestTokenServer.TlsClientId"/>'s certificate must chain to, or null: no <c>tls_client_auth</c>.</summary>
    public X509Certificate2? Authority { get; }

    /// <summary>The certificate of <see cref="TestTokenServer.SelfSignedTlsClientId"/>, or null: that client is not registered.</summary>
    public X509Certificate2? SelfSignedClientCertificate { get; }

    /// <summary>
    /// The server's address, set by <see cref="TestTokenServer.StartAsync(TestTokenServerOptions, CancellationToken)"/> once Kestrel listens and before any request is
    /// answered. OpenIddict reads its options (and so this) at the first request.
    /// </summary>
    public Uri Issuer
    {
        get => _issuer ?? throw new InvalidOperationException(
            "The mutual TLS issuer was read before the server knew its address; OpenIddict's options were built before the server started.");
        set => _issuer = value;
    }

    public static bool IsAliasRequest(HttpRequest? request) =>
        request is not null && request.Path.Equals("/" + TokenAliasPath, StringComparison.Ordinal);

    /// <summary>Kestrel asks for a certificate, requires none, and leaves the judging of it to OpenIddict.</summary>
    public void Configure(HttpsConnectionAdapterOptions https)
    {
        https.ServerCertificate = ServerCertificate;
        https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
        https.AllowAnyClientCertificate();
    }

    public void Dispose()
    {
        Authority?.Dispose();
        SelfSignedClientCertificate?.Dispose();
    }

    private static X509Certificate2? PublicPartOf(X509Certificate2? certificate) =>
        certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.RawData);
}
