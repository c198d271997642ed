using System.Security.Cryptography.X509Certificates;

namespace OfflineBearer.Testing;

/// <summary>
/// The throwaway certificates of <c>--mtls DIR</c>, made at each start and written as PEM files for curl: the server's
/// certificate (to trust), the client authority, a <c>tls-client</c> certificate and a self-signed client certificate,
/// each client one with its unencrypted private key (owner-only on Unix).
/// </summary>
public sealed class TestCertificateFiles : IDisposable
{
    private TestCertificateFiles(string directory)
    {
        Directory = Path.GetFullPath(directory);
        Server = TestCertificates.CreateServerCertificate();
        Authority = TestCertificates.CreateAuthority();
        Client = TestCertificates.CreateClientCertificate(Authority);
        SelfSignedClient = TestCertificates.CreateSelfSignedClientCertificate();
    }

    /// <summary>The directory the files are written to (absolute).</summary>
    public string Directory { get; }

    /// <summary>The server's certificate, for loopback (clients trust it through SSL_CERT_FILE).</summary>
    public X509Certificate2 Server { get; }

    /// <summary>The authority that issues tls_client_auth client certificates.</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>A client certificate issued by Authority, with its private key.</summary>
    public X509Certificate2 Client { get; }

    /// <summary>A self-signed client certificate, with its private key.</summary>
    public X509Certificate2 SelfSignedClient { get; }

    /// <summary>Where the server's certificate is written (PEM).</summary>
    public string ServerPath => Path.Combine(Directory, "server.crt");

    /// <summary>Where the client authority's certificate is written (PEM).</summary>
    public string AuthorityPath => Path.Combine(Directory, "client-ca.crt");

    /// <summary>Where the tls-client certificate is written (PEM).</summary>
    public string ClientPath => Path.Combine(Directory, "tls-client.crt");

    /// <summary>Where the tls-client certificate's private key is written (PEM, owner-only).</summary>
    public string ClientKeyPath => Path.Combine(Directory, "tls-client.key");

    /// <summary>Where the self-signed client certificate is written (PEM).</summary>
    public string SelfSignedClientPath => Path.Combine(Directory, "self-signed-tls-client.crt");

    /// <summary>Where the self-signed client certificate's private key is written (PEM, owner-only).</summary>
    public string SelfSignedClientKeyPath => Path.Combine(Directory, "self-signed-tls-client.key");

    /// <summary>Makes the certificates and writes them into <paramref name="directory"/> (created if missing).</summary>
    /// <param name="directory">The directory.</param>
    /// <returns>The certificates and where they are.</returns>
    public static TestCertificateFiles Write(string directory)
    {
        var files = new TestCertificateFiles(directory);
        System.IO.Directory.CreateDirectory(files.Directory);
        File.WriteAllText(files.ServerPath, files.Server.ExportCertificatePem());
        File.WriteAllText(files.AuthorityPath, files.Authority.ExportCertificatePem());
        File.WriteAllText(files.ClientPath, files.Client.ExportCertificatePem());
        WriteKey(files.ClientKeyPath, KeyPem(files.Client));
        File.WriteAllText(files.SelfSignedClientPath, files.SelfSignedClient.ExportCertificatePem());
        WriteKey(files.SelfSignedClientKeyPath, KeyPem(files.SelfSignedClient));
        return files;
    }

    /// <summary>Writes a development private key readable only by its owner (on Unix), made anew each time.</summary>
    /// <param name="path">The file; replaced if it exists.</param>
    /// <param name="pem">The key, PEM.</param>
    public static void WriteKey(string path, string pem)
    {
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(path, options);
        writer.Write(pem);
    }

    private static string KeyPem(X509Certificate2 certificate)
    {
        using var key = certificate.GetRSAPrivateKey()!;
        return key.ExportPkcs8PrivateKeyPem();
    }

    /// <summary>Disposes the certificates; the files stay.</summary>
    public void Dispose()
    {
        Server.Dispose();
        Authority.Dispose();
        Client.Dispose();
        SelfSignedClient.Dispose();
    }
}
