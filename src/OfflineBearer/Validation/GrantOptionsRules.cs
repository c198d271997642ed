namespace OfflineBearer.Validation;

/// <summary>
/// The rules of where a client's credentials and grant come from (a secret or its file, the platform's JWT, a subject
/// token) and what picks its token's target (resources, audience, additional parameters); part of
/// <see cref="OfflineBearerOptionsValidator"/>, kept apart to keep each file readable.
/// </summary>
internal static class GrantOptionsRules
{
    /// <summary>The parameters OfflineBearer sets itself; an additional one by such a name would contradict it.</summary>
    private static readonly HashSet<string> OwnParameters = new(StringComparer.Ordinal)
    {
        "grant_type", "refresh_token", "scope", "resource", "audience", "client_secret", "client_assertion", "client_assertion_type",
        "assertion", "subject_token", "subject_token_type", "requested_token_type", "code", "code_verifier", "redirect_uri", "device_code",
    };

    public static void Check(string client, OfflineBearerOptions options, List<string> failures)
    {
        CheckSecretSources(client, options, failures);
        CheckGrant(client, options, failures);
        CheckTargets(client, options, failures);
    }

    public static bool HasSecret(OfflineBearerOptions options) =>
        !string.IsNullOrEmpty(options.ClientSecret) || !string.IsNullOrWhiteSpace(options.ClientSecretPath);

    public static string SecretOption(OfflineBearerOptions options) =>
        string.IsNullOrEmpty(options.ClientSecret) ? nameof(options.ClientSecretPath) : nameof(options.ClientSecret);

    private static bool HasAssertion(OfflineBearerOptions options) =>
        options.ClientAssertionProvider is not null || !string.IsNullOrWhiteSpace(options.ClientAssertionPath);

    /// <summary>One secret, and the platform's JWT only where something sends it.</summary>
    private static void CheckSecretSources(string client, OfflineBearerOptions options, List<string> failures)
    {
        if (!string.IsNullOrEmpty(options.ClientSecret) && !string.IsNullOrWhiteSpace(options.ClientSecretPath))
        {
            failures.Add($"OfflineBearer client '{client}': set ClientSecret or ClientSecretPath, not both.");
        }

        var asClient = options.ClientAuthentication == ClientAuthenticationMethod.ClientAssertion;
        var asGrant = options.Grant == OfflineBearerGrant.JwtBearer;
        if (asClient && HasSecret(options))
        {
            failures.Add($"OfflineBearer client '{client}': {SecretOption(options)} is set and ClientAuthentication is ClientAssertion; a client proves itself one way, remove one.");
        }

        if ((asClient || asGrant) && !HasAssertion(options))
        {
            failures.Add($"OfflineBearer client '{client}': {(asClient ? "ClientAuthentication ClientAssertion" : "Grant JwtBearer")} needs the platform's JWT: set ClientAssertionPath (or ClientAssertionProvider in code).");
        }
        else if (asClient && asGrant)
        {
            failures.Add($"OfflineBearer client '{client}': ClientAuthentication ClientAssertion and Grant JwtBearer would send the same JWT twice; with a platform's JWT as the client's proof, use Grant ClientCredentials.");
        }
        else if (!asClient && !asGrant && HasAssertion(options))
        {
            failures.Add($"OfflineBearer client '{client}': ClientAssertionPath is set but nothing sends it; set ClientAuthentication to ClientAssertion or Grant to JwtBearer.");
        }
    }

    private static void CheckGrant(string client, OfflineBearerOptions options, List<string> failures)
    {
        var sources = (string.IsNullOrWhiteSpace(options.SubjectTokenClient) ? 0 : 1)
            + (string.IsNullOrWhiteSpace(options.SubjectTokenPath) ? 0 : 1)
            + (options.SubjectTokenProvider is null ? 0 : 1);
        if (options.Grant != OfflineBearerGrant.TokenExchange)
        {
            if (sources > 0)
            {
                failures.Add($"OfflineBearer client '{client}': a subject token is set but Grant is {options.Grant}; set Grant to TokenExchange or remove it.");
            }

            return;
        }

        if (sources != 1)
        {
            failures.Add($"OfflineBearer client '{client}': Grant TokenExchange needs exactly one subject token: SubjectTokenClient, SubjectTokenPath or SubjectTokenProvider.");
        }

        if (string.Equals(options.SubjectTokenClient, client, StringComparison.Ordinal))
        {
            failures.Add($"OfflineBearer client '{client}': SubjectTokenClient names this client itself; name the client whose token is exchanged.");
        }

        if (string.IsNullOrWhiteSpace(options.SubjectTokenType))
        {
            failures.Add($"OfflineBearer client '{client}': SubjectTokenType must not be empty (e.g. urn:ietf:params:oauth:token-type:access_token).");
        }

        if (!string.IsNullOrEmpty(options.RefreshToken))
        {
            failures.Add($"OfflineBearer client '{client}': Grant TokenExchange runs the exchange anew each time and redeems no RefreshToken; remove it.");
        }
    }

    private static void CheckTargets(string client, OfflineBearerOptions options, List<string> failures)
    {
        foreach (var resource in options.Resource)
        {
            // RFC 8707 2: an absolute URI without a fragment.
            // (On Unix .NET reads "/api" as an absolute file URI; the scheme must be written out.)
            if (!Uri.TryCreate(resource, UriKind.Absolute, out var uri) || uri.Fragment.Length > 0
                || !resource.StartsWith(uri.Scheme + ":", StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"OfflineBearer client '{client}': each Resource must be an absolute URI without a fragment (RFC 8707), such as https://api.example.org/.");
                break;
            }
        }

        foreach (var name in options.AdditionalParameters.Keys)
        {
            if (string.IsNullOrWhiteSpace(name) || OwnParameters.Contains(name))
            {
                failures.Add($"OfflineBearer client '{client}': AdditionalParameters may not set '{name}'; OfflineBearer sets it from its own options (Scope, Resource, Audience, the grant and the client's authentication).");
            }
        }

        foreach (var name in options.SecretParameters)
        {
            if (!options.AdditionalParameters.ContainsKey(name))
            {
                failures.Add($"OfflineBearer client '{client}': SecretParameters names '{name}', which is not in AdditionalParameters.");
            }
        }
    }
}
