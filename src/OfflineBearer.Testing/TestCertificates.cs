using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OfflineBearer.Testing;

/// <summary>
/// Throwaway certificates for a <see cref="TestTokenServer"/> with mutual TLS (RFC 8705): a server certificate for loopback, a
/// client certificate authority, leaves it issues and self-signed client certificates. Each is RSA 2048 (OpenIddict's
/// certificate handling takes only RSA certificates), valid from a day ago for a year, and comes with its private key,
/// loaded so that TLS on Linux can use it. Never for production; the caller disposes what it gets.
/// </summary>
public static class TestCertificates
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";
    private const int KeySize = 2048;

    /// <summary>
    /// A self-signed server certificate for <c>localhost</c>: subject alternative names DNS <c>localhost</c>, IP
    /// <c>127.0.0.1</c> and <c>::1</c>, extended key usage serverAuth. Set it as <see cref="TestTokenServerOptions.ServerCertificate"/>;
    /// clients trust it through <see cref="TestTokenServer.CreateHttpHandler"/>.
    /// </summary>
    /// <returns>The certificate with its private key.</returns>
    public static X509Certificate2 CreateServerCertificate()
    {
        using var key = RSA.Create(KeySize);
        var request = Request(CommonName("localhost"), key);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthentication)], critical: false));

        return SelfSigned(request);
    }

    /// <summary>
    /// A self-signed certificate authority for client certificates (basic constraints CA, key usage keyCertSign and
    /// cRLSign). Its public part is what <see cref="TestTokenServerOptions.TlsClientCertificateAuthority"/> takes; its private key
    /// signs leaves with <see cref="CreateClientCertificate"/>.
    /// </summary>
    /// <param name="name">The common name of its subject.</param>
    /// <returns>The certificate with its private key.</returns>
    public static X509Certificate2 CreateAuthority(string name = "OfflineBearer Dev Client CA")
    {
        ArgumentException.ThrowIfNullOrEmpty(name);

        using var key = RSA.Create(KeySize);
        var request = Request(CommonName(name), key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));

        return SelfSigned(request);
    }

    /// <summary>
    /// A client certificate issued by <paramref name="authority"/> for <c>tls_client_auth</c>: subject alternative name DNS
    /// <paramref name="dnsName"/>, extended key usage clientAuth, key usage digitalSignature. The server accepts it for
    /// <see cref="TestTokenServer.TlsClientId"/> when the authority is its <see cref="TestTokenServerOptions.TlsClientCertificateAuthority"/>
    /// and the name is <see cref="TestTokenServer.TlsClientCertificateName"/>.
    /// </summary>
    /// <param name="authority">The issuer, with its private key (from <see cref="CreateAuthority"/>).</param>
    /// <param name="dnsName">The DNS name the certificate is for.</param>
    /// <returns>The certificate with its private key; the chain to the authority is not included.</returns>
    /// <exception cref="ArgumentException">The authority has no RSA private key.</exception>
    public static X509Certificate2 CreateClientCertificate(X509Certificate2 authority, string dnsName = TestTokenServer.TlsClientCertificateName)
    {
        ArgumentNullException.ThrowIfNull(authority);
        ArgumentException.ThrowIfNullOrEmpty(dnsName);
        using var authorityKey = authority.GetRSAPrivateKey()
            ?? throw new ArgumentException($"The authority '{authority.Subject}' has no RSA private key to sign with.", nameof(authority));

        using var key = RSA.Create(KeySize);
        var request = Request(CommonName(dnsName), key);
        AddClientExtensions(request);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(dnsName);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(
            authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));

        var (notBefore, notAfter) = Validity();
        var generator = X509SignatureGenerator.CreateForRSA(authorityKey, RSASignaturePadding.Pkcs1);
        using var issued = request.Create(authority.SubjectName, generator, notBefore, notAfter, SerialNumber());
        using var withKey = issued.CopyWithPrivateKey(key);
        return Reload(withKey);
    }

    /// <summary>
    /// A self-signed client certificate for <c>self_signed_tls_client_auth</c>: extended key usage clientAuth, key usage
    /// digitalSignature. The server accepts it for <see cref="TestTokenServer.SelfSignedTlsClientId"/> when it is the
    /// <see cref="TestTokenServerOptions.SelfSignedTlsClientCertificate"/>.
    /// </summary>
    /// <param name="name">The common name of its subject.</param>
    /// <returns>The certificate with its private key.</returns>
    public static X509Certificate2 CreateSelfSignedClientCertificate(string name = "self-signed-tls-client")
    {
        ArgumentException.ThrowIfNullOrEmpty(name);

        using var key = RSA.Create(KeySize);
        var request = Request(CommonName(name), key);
        AddClientExtensions(request);

        return SelfSigned(request);
    }

    private static CertificateRequest Request(X500DistinguishedName subject, RSA key) =>
        new(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    private static void AddClientExtensions(CertificateRequest request)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClientAuthentication)], critical: false));
    }

    private static X509Certificate2 SelfSigned(CertificateRequest request)
    {
        var (notBefore, notAfter) = Validity();
        using var made = request.CreateSelfSigned(notBefore, notAfter);
        return Reload(made);
    }

    // A day back absorbs clock skew between the maker and whoever checks the chain; X.509 validity is wall-clock time.
    private static (DateTimeOffset NotBefore, DateTimeOffset NotAfter) Validity()
    {
        var now = TimeProvider.System.GetUtcNow();
        return (now.AddDays(-1), now.AddYears(1));
    }

    private static byte[] SerialNumber() => RandomNumberGenerator.GetBytes(16);

    // The key of a freshly made certificate is ephemeral, which SslStream cannot use on every platform; a round trip
    // through PKCS#12 gives a certificate whose key TLS can use anywhere.
    private static X509Certificate2 Reload(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);

    private static X500DistinguishedName CommonName(string commonName)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(commonName);
        return builder.Build();
    }
}
