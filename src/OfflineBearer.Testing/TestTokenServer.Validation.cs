using System.Security.Cryptography.X509Certificates;

namespace OfflineBearer.Testing;

// The checks of TestTokenServerOptions at start: one ArgumentException that says what to set, before anything listens.
public sealed partial class TestTokenServer
{
    private static void Validate(TestTokenServerOptions options)
    {
        if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Url must be an absolute http URL such as {DefaultUrl}; it was '{options.Url}'.", nameof(options));
        }

        ValidateMutualTls(options, url);

        var fixedIds = new[] { BasicClientId, PostClientId, PublicClientId, SignedJwtClientId, TlsClientId, SelfSignedTlsClientId, WorkloadClientId };
        if (options.Clients.Any(id => string.IsNullOrWhiteSpace(id) || fixedIds.Contains(id, StringComparer.Ordinal))
            || options.Clients.Distinct(StringComparer.Ordinal).Count() != options.Clients.Count)
        {
            throw new ArgumentException(
                $"Clients must be distinct, non-empty ids other than the fixed clients' ({string.Join(", ", fixedIds)}); " +
                $"it was [{string.Join(", ", options.Clients.Select(id => $"'{id}'"))}].", nameof(options));
        }

        ValidateTargets(options);
        ValidateWorkload(options);

        if (options.AccessTokenLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException($"AccessTokenLifetime must be positive; it was {options.AccessTokenLifetime}.", nameof(options));
        }

        if (options.DeviceCodeLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException($"DeviceCodeLifetime must be positive; it was {options.DeviceCodeLifetime}.", nameof(options));
        }

        // The interval goes out in whole seconds (RFC 8628 3.2).
        if (options.DevicePollingInterval < TimeSpan.FromSeconds(1) || options.DevicePollingInterval.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentException(
                $"DevicePollingInterval must be a whole number of seconds, at least 1; it was {options.DevicePollingInterval}.", nameof(options));
        }

        if (options.AnnouncedDevicePollingInterval is { } announced && (announced < TimeSpan.FromSeconds(1) || announced.Ticks % TimeSpan.TicksPerSecond != 0))
        {
            throw new ArgumentException(
                $"AnnouncedDevicePollingInterval must be a whole number of seconds, at least 1, or null; it was {announced}.", nameof(options));
        }

        if (options.DPoPNonceRotationInterval is { } rotation && (rotation <= TimeSpan.Zero || !options.RequireDPoPNonce))
        {
            throw new ArgumentException(
                $"DPoPNonceRotationInterval must be positive and needs RequireDPoPNonce; it was {rotation} with RequireDPoPNonce {options.RequireDPoPNonce}.",
                nameof(options));
        }

        ArgumentNullException.ThrowIfNull(options.TimeProvider);
    }

    private static void ValidateTargets(TestTokenServerOptions options)
    {
        if (options.Resources.FirstOrDefault(resource => !Uri.TryCreate(resource, UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.Fragment)) is { } resource)
        {
            throw new ArgumentException($"Resources must be absolute URIs without a fragment (RFC 8707); '{resource}' is not.", nameof(options));
        }

        if (options.Audiences.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("Audiences must not hold an empty value.", nameof(options));
        }
    }

    private static void ValidateWorkload(TestTokenServerOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.WorkloadTokenIssuer))
        {
            throw new ArgumentException($"WorkloadTokenIssuer must not be empty; the default is {TestWorkloadIssuer.DefaultIssuer}.", nameof(options));
        }

        // The clients the server will register that authenticate at all: a subject stands for one of them.
        List<string> confidential = [BasicClientId, PostClientId, SignedJwtClientId, WorkloadClientId, .. options.Clients];
        if (options.ServerCertificate is not null && options.TlsClientCertificateAuthority is not null)
        {
            confidential.Add(TlsClientId);
        }

        if (options.ServerCertificate is not null && options.SelfSignedTlsClientCertificate is not null)
        {
            confidential.Add(SelfSignedTlsClientId);
        }

        foreach (var (subject, clientId) in options.WorkloadSubjects)
        {
            if (string.IsNullOrWhiteSpace(subject) || !confidential.Contains(clientId, StringComparer.Ordinal))
            {
                throw new ArgumentException(
                    $"WorkloadSubjects must map non-empty subjects to confidential clients the server registers ({string.Join(", ", confidential)}); " +
                    $"it maps '{subject}' to '{clientId}'.", nameof(options));
            }
        }
    }

    private static void ValidateMutualTls(TestTokenServerOptions options, Uri url)
    {
        if (options.ServerCertificate is not { } server)
        {
            if (url.Scheme == Uri.UriSchemeHttps)
            {
                throw new ArgumentException(
                    $"Url '{options.Url}' is https but ServerCertificate is not set: set ServerCertificate (e.g. TestCertificates.CreateServerCertificate()) or use an http URL.",
                    nameof(options));
            }

            if (options.TlsClientCertificateAuthority is not null || options.SelfSignedTlsClientCertificate is not null)
            {
                throw new ArgumentException(
                    "TlsClientCertificateAuthority and SelfSignedTlsClientCertificate need mutual TLS: set ServerCertificate too.", nameof(options));
            }

            return;
        }

        if (url.Scheme != Uri.UriSchemeHttps && options.Url != DefaultUrl)
        {
            throw new ArgumentException($"Url must be an https URL such as {DefaultHttpsUrl} when ServerCertificate is set; it was '{options.Url}'.", nameof(options));
        }

        if (!server.HasPrivateKey)
        {
            throw new ArgumentException($"ServerCertificate '{server.Subject}' has no private key; TLS needs it.", nameof(options));
        }

        if (options.TlsClientCertificateAuthority is { } authority
            && (authority.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true }
                || authority.SubjectName.RawData.AsSpan().SequenceEqual(authority.IssuerName.RawData) is false))
        {
            throw new ArgumentException(
                $"TlsClientCertificateAuthority '{authority.Subject}' must be a self-signed root certificate authority (basic constraints CA, key usage keyCertSign), e.g. from TestCertificates.CreateAuthority().",
                nameof(options));
        }

        if (options.SelfSignedTlsClientCertificate is { } selfSigned && selfSigned.GetRSAPublicKey() is null)
        {
            throw new ArgumentException(
                $"SelfSignedTlsClientCertificate '{selfSigned.Subject}' must have an RSA key: OpenIddict takes only RSA certificates as client keys.",
                nameof(options));
        }
    }
}
