using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OfflineBearer.Tests.Support;

/// <summary>Throwaway client certificates for mutual TLS tests, and the files a user would point the options at.</summary>
internal static class TestCertificates
{
    /// <summary>A self-signed client certificate (EC P-256 unless <paramref name="rsa"/>) with its private key.</summary>
    public static X509Certificate2 Create(string subject = "CN=inventory-sync", DateTimeOffset? notAfter = null, bool rsa = false)
    {
        using var ec = rsa ? null : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rsaKey = rsa ? RSA.Create(2048) : null;
        var request = rsa
            ? new CertificateRequest(subject, rsaKey!, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, ec!, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        var until = notAfter ?? DateTimeOffset.UtcNow.AddYears(1);
        return request.CreateSelfSigned(until.AddYears(-2), until);
    }

    /// <summary>The certificate's PEM (no key).</summary>
    public static string CertificatePem(X509Certificate2 certificate) => certificate.ExportCertificatePem() + "\n";

    /// <summary>The private key as unencrypted PKCS#8 PEM, or encrypted with <paramref name="password"/>.</summary>
    public static string KeyPem(X509Certificate2 certificate, string? password = null)
    {
        using AsymmetricAlgorithm key = (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey() ?? certificate.GetRSAPrivateKey()!;
        return password is null
            ? key.ExportPkcs8PrivateKeyPem()
            : key.ExportEncryptedPkcs8PrivateKeyPem(password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000));
    }

    /// <summary>Writes the certificate and its key in one PEM file, as many tools do.</summary>
    public static string WritePem(string directory, X509Certificate2 certificate, string name = "client.pem")
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, CertificatePem(certificate) + KeyPem(certificate));
        return path;
    }
}
