using System.Security.Cryptography.X509Certificates;

namespace OfflineBearer.DevServer;

/// <summary>
/// The throwaway certificates of <c>--mtls DIR</c>, made at each start and written as PEM files for curl: the server's
/// certificate (to trust), the client authority, a <c>tls-client</c> certificate and a self-signed client certificate,
/// each client one with its unencrypted private key (owner-only on Unix).
/// </summary>
internal sealed class DevCertificateFiles : IDisposable
{
    private DevCertificateFiles(string directory)
    {
        Directory = Path.GetFullPath(directory);
        Server = DevServerCertificates.CreateServerCertificate();
        Authority = DevServerCertificates.CreateAuthority();
        Client = DevServerCertificates.CreateClientCertificate(Authority);
        SelfSignedClient = DevServerCertificates.CreateSelfSignedClientCertificate();
    }

    public string Directory { get; }

    public X509Certificate2 Server { get; }

    public X509Certificate2 Authority { get; }

    public X509Certificate2 Client { get; }

    public X509Certificate2 SelfSignedClient { get; }

    public string ServerPath => Path.Combine(Directory, "server.crt");

    public string AuthorityPath => Path.Combine(Directory, "client-ca.crt");

    public string ClientPath => Path.Combine(Directory, "tls-client.crt");

    public string ClientKeyPath => Path.Combine(Directory, "tls-client.key");

    public string SelfSignedClientPath => Path.Combine(Directory, "self-signed-tls-client.crt");

    public string SelfSignedClientKeyPath => Path.Combine(Directory, "self-signed-tls-client.key");

    public static DevCertificateFiles Write(string directory)
    {
        var files = new DevCertificateFiles(directory);
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
    internal static void WriteKey(string path, string pem)
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

    public void Dispose()
    {
        Server.Dispose();
        Authority.Dispose();
        Client.Dispose();
        SelfSignedClient.Dispose();
    }
}
