using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OfflineBearer.ClientAuthentication;

/// <summary>
/// The client certificate of mutual TLS (RFC 8705) that the options name: <see cref="OfflineBearerOptions.ClientCertificate"/>,
/// else <see cref="OfflineBearerOptions.ClientCertificatePath"/> (PEM, with its key in the same file or in
/// <see cref="OfflineBearerOptions.ClientCertificateKeyPath"/>; or PKCS#12). Every error names the option and the kind of
/// problem, never key material or the password.
/// </summary>
internal static class ClientCertificateFile
{
    /// <summary>Whether the options give the client a certificate (for authentication or for bound tokens).</summary>
    public static bool IsConfigured(OfflineBearerOptions options) =>
        options.ClientCertificate is not null || !string.IsNullOrWhiteSpace(options.ClientCertificatePath);

    /// <summary>
    /// The certificate with its private key, current at <paramref name="now"/>; throws <see cref="InvalidOperationException"/>
    /// saying what is wrong. A certificate read from a file belongs to the caller; one set in code stays the user's.
    /// </summary>
    public static X509Certificate2 Load(string client, OfflineBearerOptions options, DateTimeOffset now)
    {
        var certificate = options.ClientCertificate
            ?? (IsConfigured(options)
                ? Read(client, options.ClientCertificatePath!, options.ClientCertificateKeyPath, options.ClientCertificatePassword)
                : throw Problem(client, $"ClientAuthentication is {options.ClientAuthentication}: set ClientCertificatePath (a PEM or PKCS#12 file) or ClientCertificate."));
        var source = options.ClientCertificate is null ? $"ClientCertificatePath '{options.ClientCertificatePath}'" : "ClientCertificate";
        try
        {
            if (!certificate.HasPrivateKey)
            {
                throw Problem(client, $"{source} has no private key: TLS needs it (give the key in the PEM file or ClientCertificateKeyPath, or a PKCS#12 file).");
            }

            if (certificate.NotAfter.ToUniversalTime() <= now.UtcDateTime)
            {
                throw Problem(client, $"{source} ({Describe(certificate)}) expired on {certificate.NotAfter.ToUniversalTime():u}.");
            }

            return certificate;
        }
        catch when (options.ClientCertificate is null)
        {
            certificate.Dispose();
            throw;
        }
    }

    /// <summary>The subject and the SHA-256 thumbprint (what a server registers); no key material.</summary>
    public static string Describe(X509Certificate2 certificate) =>
        $"subject '{certificate.Subject}', SHA-256 thumbprint {certificate.GetCertHashString(HashAlgorithmName.SHA256)}";

    /// <summary>The time the files were last written: a change means a renewed certificate.</summary>
    public static DateTime LastWritten(OfflineBearerOptions options)
    {
        var written = File.GetLastWriteTimeUtc(options.ClientCertificatePath!);
        return options.ClientCertificateKeyPath is { Length: > 0 } keyPath && File.GetLastWriteTimeUtc(keyPath) is var keyWritten && keyWritten > written
            ? keyWritten
            : written;
    }

    private static X509Certificate2 Read(string client, string path, string? keyPath, string? password)
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw Problem(client, $"ClientCertificatePath '{path}' cannot be read ({e.GetType().Name}).");
        }

        try
        {
            if (!IsPem(content))
            {
                return X509CertificateLoader.LoadPkcs12(content, password);
            }

            keyPath = string.IsNullOrWhiteSpace(keyPath) ? path : keyPath;
            return string.IsNullOrEmpty(password)
                ? X509Certificate2.CreateFromPemFile(path, keyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Problem(client, $"ClientCertificateKeyPath '{keyPath}' cannot be read ({e.GetType().Name}).");
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            // The exception's own message is left out: it may quote the file.
            throw Problem(client, IsPem(content)
                ? $"ClientCertificatePath '{path}' is not a PEM certificate with a matching private key{(keyPath == path ? "" : $" in ClientCertificateKeyPath '{keyPath}'")}" +
                  (string.IsNullOrEmpty(password) ? " (an encrypted key needs ClientCertificatePassword)." : ", or ClientCertificatePassword does not open the key.")
                : $"ClientCertificatePath '{path}' is neither PEM nor a PKCS#12 file that ClientCertificatePassword opens.");
        }
    }

    private static bool IsPem(ReadOnlySpan<byte> content) => content.TrimStart(" \t\r\n\uFEFF"u8).StartsWith("-----BEGIN "u8);

    private static InvalidOperationException Problem(string client, string what) => new($"OfflineBearer client '{client}': {what}");
}
