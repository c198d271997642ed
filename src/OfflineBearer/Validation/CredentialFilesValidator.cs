using Microsoft.Extensions.Options;
using OfflineBearer.ClientAuthentication;
using OfflineBearer.Keys;

namespace OfflineBearer.Validation;

/// <summary>
/// Reads the key and certificate files a client's options name, at start (with the other validators, on
/// <c>ValidateOnStart</c>), so that a missing file, a public key, a wrong algorithm, a certificate without its key or one
/// that expired stops the host instead of failing the first token request. Kept apart from
/// <see cref="OfflineBearerOptionsValidator"/>: it is the one validation that does I/O.
/// </summary>
/// <param name="time">The clock a client certificate's expiry is checked against.</param>
internal sealed class CredentialFilesValidator(TimeProvider? time = null) : IValidateOptions<OfflineBearerOptions>
{
    public ValidateOptionsResult Validate(string? name, OfflineBearerOptions options)
    {
        var client = name ?? Microsoft.Extensions.Options.Options.DefaultName;
        var failures = new List<string>();
        if (options.ClientAuthentication == ClientAuthenticationMethod.PrivateKeyJwt)
        {
            Check(failures, () => ClientSigningKey.Load(client, options));
        }

        if (ClientAuthenticator.UsesCertificate(options) || ClientCertificateFile.IsConfigured(options))
        {
            Check(failures, () =>
            {
                var certificate = ClientCertificateFile.Load(client, options, (time ?? TimeProvider.System).GetUtcNow());
                if (options.ClientCertificate is null)
                {
                    certificate.Dispose();
                }
            });
        }

        // Files the platform keeps current are read at every token request; at start they must at least be there.
        CheckReadable(client, nameof(options.ClientSecretPath), options.ClientSecretPath, failures);
        if (options.ClientAssertionProvider is null)
        {
            CheckReadable(client, nameof(options.ClientAssertionPath), options.ClientAssertionPath, failures);
        }

        if (options.SubjectTokenProvider is null)
        {
            CheckReadable(client, nameof(options.SubjectTokenPath), options.SubjectTokenPath, failures);
        }

        if (options.DPoP && !string.IsNullOrWhiteSpace(options.DPoPKeyPath))
        {
            Check(failures, () => PrivateKeyReader.ReadKeyFile(client, nameof(options.DPoPKeyPath), options.DPoPKeyPath));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckReadable(string client, string option, string? path, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return;
        }

        try
        {
            using var file = File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            failures.Add($"OfflineBearer client '{client}': {option} '{path}' cannot be read ({e.GetType().Name}).");
        }
    }

    /// <summary>The readers throw <see cref="InvalidOperationException"/> with a message that names the client and the option.</summary>
    private static void Check(List<string> failures, Action read)
    {
        try
        {
            read();
        }
        catch (InvalidOperationException e)
        {
            failures.Add(e.Message);
        }
    }
}
