using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace OfflineBearer.ClientAuthentication;

/// <summary>
/// The client certificate of each named client, for its token endpoint's connections. IHttpClientFactory builds a new
/// handler every few minutes and asks here each time: a certificate file that has changed since (a renewal) is read
/// again, and one that cannot be read right now (half written) leaves the previous certificate in use.
/// </summary>
internal sealed class ClientCertificates(IOptionsMonitor<OfflineBearerOptions> options, TimeProvider time) : IDisposable
{
    private readonly Dictionary<string, (X509Certificate2 Certificate, DateTime Written)> _read = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>
    /// The certificate of <paramref name="clientName"/>, or null when it has none, when its file has become unreadable
    /// since the start-up check (the server's refusal then names the client), or when its options fail validation. Never
    /// throws: IHttpClientFactory would keep a failed handler build for good.
    /// </summary>
    public X509Certificate2? Get(string clientName)
    {
        OfflineBearerOptions clientOptions;
        try
        {
            clientOptions = options.Get(clientName);
        }
        catch (OptionsValidationException)
        {
            // Options that fail validation are reported by the client's own first use of them (its token holder, a host's
            // start); a throw here would only be kept by IHttpClientFactory for the handler's lifetime, and it broke the
            // offline-token tool, whose login of a public client has no store and needs no certificate.
            return null;
        }

        if (clientOptions.ClientCertificate is not null || !ClientCertificateFile.IsConfigured(clientOptions))
        {
            return clientOptions.ClientCertificate;
        }

        lock (_gate)
        {
            var found = _read.TryGetValue(clientName, out var previous);
            var written = ClientCertificateFile.LastWritten(clientOptions);
            if (found && previous.Written == written)
            {
                return previous.Certificate;
            }

            try
            {
                var certificate = ClientCertificateFile.Load(clientName, clientOptions, time.GetUtcNow());

                // The previous certificate is not disposed: handlers built with it may still open connections.
                _read[clientName] = (certificate, written);
                return certificate;
            }
            catch (InvalidOperationException)
            {
                // The one read before, if any (none before: null).
                return previous.Certificate;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var (certificate, _) in _read.Values)
            {
                certificate.Dispose();
            }
        }
    }
}
