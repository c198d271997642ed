using Microsoft.Extensions.Options;
using OfflineBearer.ClientAuthentication;
using OfflineBearer.Options;
using OfflineBearer.Stores;

namespace OfflineBearer.Validation;

/// <summary>
/// Checks one named client's options, each alone and against each other, without reading a file (the key and certificate
/// files are <see cref="CredentialFilesValidator"/>'s); every message names the client and the option.
/// </summary>
/// <param name="store">Where refresh tokens are kept: a durable store may hold a public client's offline token.</param>
/// <param name="sharedStore">The fleet's store, if any, which may hold it too.</param>
internal sealed class OfflineBearerOptionsValidator(IRefreshTokenStore store, ISharedTokenStore? sharedStore = null)
    : IValidateOptions<OfflineBearerOptions>
{
    private static readonly OfflineBearerOptionsAnnotations Annotations = new();

    public ValidateOptionsResult Validate(string? name, OfflineBearerOptions options)
    {
        var client = name ?? Microsoft.Extensions.Options.Options.DefaultName;
        var failures = new List<string>();
        if (Annotations.Validate(name, options) is { Failed: true } annotated)
        {
            // The generated validator puts "Member: " before each message; every annotation's message names its option itself.
            failures.AddRange(annotated.Failures.Select(failure => $"OfflineBearer client '{client}': {failure[(failure.IndexOf(": ", StringComparison.Ordinal) + 2)..]}"));
        }

        if (options.TokenEndpoint is null && string.IsNullOrWhiteSpace(options.Authority))
        {
            failures.Add($"OfflineBearer client '{client}': set Authority (for discovery) or TokenEndpoint.");
        }

        if (options.TokenEndpoint is { } endpoint)
        {
            CheckAddress(endpoint, nameof(options.TokenEndpoint), client, options.RequireHttps, failures);
        }
        else if (!string.IsNullOrWhiteSpace(options.Authority))
        {
            if (Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority))
            {
                CheckAddress(authority, nameof(options.Authority), client, options.RequireHttps, failures);
            }
            else
            {
                failures.Add($"OfflineBearer client '{client}': Authority must be an absolute URL such as https://sso.example.org/realms/prod.");
            }
        }

        // A public client may start from an offline token that a tool put in a durable store; whether one is there is
        // known only at its first token request, which says how to get one if not.
        var withKey = options.ClientAuthentication == ClientAuthenticationMethod.PrivateKeyJwt;
        var withCertificate = ClientAuthenticator.UsesCertificate(options);
        if (ClientAuthenticator.IsPublic(options) && options.Grant == OfflineBearerGrant.ClientCredentials && string.IsNullOrEmpty(options.RefreshToken)
            && store is IProcessLifetimeStore && sharedStore is null)
        {
            failures.Add($"OfflineBearer client '{client}': set ClientSecret (confidential client) or RefreshToken (public client with an offline " +
                "token), or keep the offline token in a store (AddOfflineBearerFileStore, AddOfflineBearerRedis).");
        }


        // The TimeSpan rules stay here: RangeAttribute(typeof(TimeSpan), ...) is not trimming-safe.
        if (options.RefreshBeforeExpiry < TimeSpan.Zero)
        {
            failures.Add($"OfflineBearer client '{client}': RefreshBeforeExpiry must not be negative.");
        }

        if (options.KeepAliveInterval is { } keepAlive && keepAlive < TimeSpan.FromMinutes(1))
        {
            failures.Add($"OfflineBearer client '{client}': KeepAliveInterval must be at least one minute, or null to turn it off.");
        }

        // The bounds are Polly's own: outside them it would fail at start without naming the option.
        if (options.TokenRequestAttemptTimeout < TimeSpan.FromMilliseconds(10)
            || options.TokenRequestTimeout > TimeSpan.FromDays(1)
            || options.TokenRequestTimeout < options.TokenRequestAttemptTimeout)
        {
            failures.Add($"OfflineBearer client '{client}': TokenRequestAttemptTimeout must be at least 10 ms and TokenRequestTimeout at least as long, at most one day.");
        }




        if (withKey)
        {
            CheckSigningKey(client, options, failures);
        }

        GrantOptionsRules.Check(client, options, failures);

        if (withCertificate || ClientCertificateFile.IsConfigured(options))
        {
            CheckCertificate(client, options, withCertificate, failures);
        }

        if (options.DPoP)
        {
            CheckDPoP(client, options, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckSigningKey(string client, OfflineBearerOptions options, List<string> failures)
    {
        if (GrantOptionsRules.HasSecret(options))
        {
            failures.Add($"OfflineBearer client '{client}': {GrantOptionsRules.SecretOption(options)} is set and ClientAuthentication is PrivateKeyJwt; a client proves itself one way, remove one.");
        }
    }

    private static void CheckCertificate(string client, OfflineBearerOptions options, bool authenticates, List<string> failures)
    {
        if (authenticates && GrantOptionsRules.HasSecret(options))
        {
            failures.Add($"OfflineBearer client '{client}': {GrantOptionsRules.SecretOption(options)} is set and ClientAuthentication is {options.ClientAuthentication}; a client proves itself one way, remove one.");
        }

        // Plain http has no handshake to carry the certificate; RequireHttps off allows it for loopback only.
        var configured = options.TokenEndpoint ?? (Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority) ? authority : null);
        if (authenticates && configured is { IsAbsoluteUri: true } && configured.Scheme == Uri.UriSchemeHttp)
        {
            failures.Add($"OfflineBearer client '{client}': ClientAuthentication is {options.ClientAuthentication}, which needs TLS: " +
                $"{(options.TokenEndpoint is null ? nameof(options.Authority) : nameof(options.TokenEndpoint))} must use https.");
        }
    }

    private void CheckDPoP(string client, OfflineBearerOptions options, List<string> failures)
    {
        // A bound token is good only with the key that made it, and replicas adopt each other's tokens (and redeem a
        // public client's bound refresh token): every replica must sign with one key, which only a file they all read gives.
        if (sharedStore is not null && string.IsNullOrWhiteSpace(options.DPoPKeyPath))
        {
            failures.Add($"OfflineBearer client '{client}': DPoP with a fleet's shared token store (AddOfflineBearerRedis) needs DPoPKeyPath, " +
                "a key file every replica reads, so that each can use the tokens the others get.");
        }
    }

    private static void CheckAddress(Uri address, string option, string client, bool requireHttps, List<string> failures)
    {
        if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttps && address.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"OfflineBearer client '{client}': {option} must be an absolute http(s) URL.");
        }
        else if (requireHttps && !Transport.IsAllowed(address))
        {
            failures.Add($"OfflineBearer client '{client}': {option} must use https (RequireHttps is on; only loopback may use http).");
        }
    }
}
