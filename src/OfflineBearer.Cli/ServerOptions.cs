using System.CommandLine;

namespace OfflineBearer.Cli;

/// <summary>
/// The options that say which server and client a command talks as. Longer than 250 lines because each of its dozen
/// flags carries its help text and its environment-variable fallback here, next to the one place that reads them.
/// </summary>
internal sealed class ServerOptions
{
    private readonly Option<string> _authority = new("--authority")
    {
        Description = "The issuer URL, e.g. https://sso.example.org/realms/prod; endpoints come from its discovery document.",
    };

    private readonly Option<string> _clientId = new("--client-id") { Description = "The OAuth client id." };

    private readonly Option<string> _scope;

    private readonly Option<string> _clientAuth = new Option<string>("--client-auth")
    {
        Description = "How a confidential client proves itself: basic (the secret in the Authorization header), post (in the form), " +
            "private-key-jwt (a JWT signed with --signing-key, RFC 7523), tls (--client-certificate, from a CA the server trusts, " +
            "RFC 8705) or self-signed-tls (--client-certificate, one the server holds for this client). By default basic, " +
            "private-key-jwt with --signing-key, tls with --client-certificate.",
    }.AcceptOnlyFromAmong(ClientAuthenticationNames.All);

    private readonly Option<bool> _secretFromStdin = new("--client-secret-stdin")
    {
        Description = $"Read the client secret from the first line of standard input. Without it the secret comes from " +
            $"{CliEnvironment.ClientSecretVariable}; never from an argument, which other users can read in the process list. " +
            "No secret: a public client. Only for basic and post: a key or a certificate needs no secret.",
    };

    private readonly Option<string> _signingKey = new("--signing-key")
    {
        Description = "The client's private key for private-key-jwt: a PEM file (PKCS#8, PKCS#1 RSA or SEC1 EC, unencrypted) or a JWK " +
            "file; implies --client-auth private-key-jwt. The store remembers its path, never the key.",
        HelpName = "PATH",
    };

    private readonly Option<string> _clientCertificate = new("--client-certificate")
    {
        Description = "The client certificate for mutual TLS: a PEM file (the certificate, and its key unless --client-certificate-key " +
            "names another file) or a PKCS#12 file; implies --client-auth tls (with basic, post or private-key-jwt it is presented " +
            $"for certificate-bound tokens). The password of a PKCS#12 file or an encrypted key comes from {CliEnvironment.ClientCertificatePasswordVariable}, " +
            "never from an argument. The store remembers the path, never the key or the password.",
        HelpName = "PATH",
    };

    private readonly Option<string> _clientCertificateKey = new("--client-certificate-key")
    {
        Description = "The PEM private key of --client-certificate when it is in a file of its own (tls.key beside tls.crt).",
        HelpName = "PATH",
    };

    /// <summary>
    /// Not an option: it is here to refuse a password typed where other users see it (the process list, shell history)
    /// with a sentence that does not repeat it, where an unknown argument would be echoed back.
    /// </summary>
    private readonly Option<string> _passwordOnCommandLine = new("--client-certificate-password") { Hidden = true };

    /// <summary>Which flag of the tool sets which of the library's options, for the library's messages.</summary>
    private static readonly (string Option, string Flag)[] Flags =
    [
        ("ClientAuthentication is PrivateKeyJwt", $"--client-auth {ClientAuthenticationNames.PrivateKeyJwt}"),
        ("ClientAuthentication is TlsClientAuth", $"--client-auth {ClientAuthenticationNames.Tls}"),
        ("ClientAuthentication is SelfSignedTlsClientAuth", $"--client-auth {ClientAuthenticationNames.SelfSignedTls}"),
        ("SigningKeyPath", "--signing-key"),
        ("ClientCertificateKeyPath", "--client-certificate-key"),
        ("ClientCertificatePath", "--client-certificate"),
        ("ClientCertificatePassword", CliEnvironment.ClientCertificatePasswordVariable),
        ("Authority must", "--authority must"),
    ];

    /// <param name="defaultScope">The scope asked for when <c>--scope</c> is not given.</param>
    /// <param name="remembered">
    /// Whether the command may take server, client id, authentication and scope from what <c>login</c> or <c>get</c>
    /// remembered in the store; otherwise <c>--authority</c> and <c>--client-id</c> are required.
    /// </param>
    public ServerOptions(string? defaultScope, bool remembered = false)
    {
        _authority.Required = !remembered;
        _clientId.Required = !remembered;
        if (remembered)
        {
            _authority.Description += " Remembered in the store by login and get.";
            _clientAuth.Description += " Remembered in the store by login and get with the key and certificate paths, which any of " +
                "--client-auth, --signing-key, --client-certificate given here replaces.";
        }

        _scope = new Option<string>("--scope") { Description = "The scopes to ask for, separated by spaces." };
        if (defaultScope is not null)
        {
            _scope.DefaultValueFactory = _ => defaultScope;
        }
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_authority);
        command.Options.Add(_clientId);
        command.Options.Add(_scope);
        command.Options.Add(_clientAuth);
        command.Options.Add(_secretFromStdin);
        command.Options.Add(_signingKey);
        command.Options.Add(_clientCertificate);
        command.Options.Add(_clientCertificateKey);
        command.Options.Add(_passwordOnCommandLine);
    }

    /// <summary>
    /// The library's options for this client, with the secret or the certificate's password read from where the user put
    /// them. A key or a certificate is not read here: the library's own validation does that when the session opens.
    /// </summary>
    /// <param name="parsed">The command line.</param>
    /// <param name="environment">Where the secret and the password may come from.</param>
    /// <param name="remembered">What login or get remembered for the client, used where the command line is silent.</param>
    public OfflineBearerOptions Read(ParseResult parsed, CliEnvironment environment, ClientSettings? remembered = null)
    {
        if (parsed.GetResult(_passwordOnCommandLine) is not null)
        {
            throw new CliException(
                ExitCodes.UsageError,
                "A password is never taken from the command line, where other users can read it in the process list: " +
                $"set {CliEnvironment.ClientCertificatePasswordVariable}.");
        }

        var (method, signingKeyPath, certificatePath, certificateKeyPath) = ReadAuthentication(parsed, remembered);
        if (!ClientAuthenticationNames.UsesSecret(method) && parsed.GetValue(_secretFromStdin))
        {
            throw new CliException(
                ExitCodes.UsageError,
                $"--client-secret-stdin is for basic and post; --client-auth {ClientAuthenticationNames.Name(method)} proves the client without a secret.");
        }

        // A key or a certificate proves the client alone: a secret left in the environment for another client is not sent.
        var secret = ClientAuthenticationNames.UsesSecret(method) ? ReadSecret(parsed, environment) : null;

        var authority = parsed.GetValue(_authority) ?? remembered?.Authority ?? throw Missing("--authority");
        if (!Uri.TryCreate(authority, UriKind.Absolute, out _))
        {
            throw new CliException(ExitCodes.UsageError, $"--authority must be an absolute URL such as https://sso.example.org/realms/prod; it was '{authority}'.");
        }

        var password = certificatePath is null ? null : environment.GetVariable(CliEnvironment.ClientCertificatePasswordVariable);
        return new OfflineBearerOptions
        {
            Authority = authority,
            ClientId = parsed.GetValue(_clientId) ?? remembered?.ClientId ?? throw Missing("--client-id"),
            ClientSecret = string.IsNullOrEmpty(secret) ? null : secret,
            Scope = parsed.GetValue(_scope) ?? remembered?.Scope,
            ClientAuthentication = method,
            SigningKeyPath = signingKeyPath,
            ClientCertificatePath = certificatePath,
            ClientCertificateKeyPath = certificateKeyPath,
            ClientCertificatePassword = string.IsNullOrEmpty(password) ? null : password,
        };
    }

    /// <summary>What to remember of <paramref name="options"/> beside a stored token: everything but the secret, the keys and the password.</summary>
    public static ClientSettings Remember(OfflineBearerOptions options) => new(
        options.Authority!,
        options.ClientId!,
        ClientAuthenticationNames.Name(options.ClientAuthentication),
        options.Scope,
        options.SigningKeyPath,
        options.ClientCertificatePath,
        options.ClientCertificateKeyPath);

    /// <summary>
    /// Says which flag the tool has for each of the library's options that <paramref name="message"/> names, so that a
    /// message of the library's validation tells a user of the tool what to change.
    /// </summary>
    public static string ToFlags(string message)
    {
        foreach (var (option, flag) in Flags)
        {
            message = message.Replace(option, flag, StringComparison.Ordinal);
        }

        return message;
    }

    /// <summary>
    /// The method and its files: from the command line when it names any of them, else as remembered (one unit, so a
    /// remembered key never joins a method given now).
    /// </summary>
    private (ClientAuthenticationMethod Method, string? SigningKeyPath, string? CertificatePath, string? CertificateKeyPath) ReadAuthentication(
        ParseResult parsed, ClientSettings? remembered)
    {
        var named = IsGiven(parsed, _clientAuth) ? parsed.GetValue(_clientAuth) : null;
        var signingKey = FullPath(parsed, _signingKey);
        var certificate = FullPath(parsed, _clientCertificate);
        var certificateKey = FullPath(parsed, _clientCertificateKey);
        if (named is null && signingKey is null && certificate is null && certificateKey is null)
        {
            return remembered is null
                ? (ClientAuthenticationMethod.ClientSecretBasic, null, null, null)
                : (ClientAuthenticationNames.Parse(remembered.ClientAuthentication), remembered.SigningKeyPath, remembered.ClientCertificatePath, remembered.ClientCertificateKeyPath);
        }

        if (certificateKey is not null && certificate is null)
        {
            throw new CliException(ExitCodes.UsageError, "--client-certificate-key is the key of --client-certificate: give --client-certificate PATH too.");
        }

        var method = named is not null ? ClientAuthenticationNames.Parse(named)
            : signingKey is not null && certificate is not null
                ? throw new CliException(
                    ExitCodes.UsageError,
                    "--signing-key and --client-certificate were both given: say with --client-auth which one proves the client " +
                    $"({ClientAuthenticationNames.PrivateKeyJwt}, {ClientAuthenticationNames.Tls} or {ClientAuthenticationNames.SelfSignedTls}).")
            : signingKey is not null ? ClientAuthenticationMethod.PrivateKeyJwt
            : certificate is not null ? ClientAuthenticationMethod.TlsClientAuth
            : ClientAuthenticationMethod.ClientSecretBasic;

        if (method == ClientAuthenticationMethod.PrivateKeyJwt && signingKey is null)
        {
            throw new CliException(ExitCodes.UsageError, $"--client-auth {ClientAuthenticationNames.PrivateKeyJwt} signs with the client's private key: give --signing-key PATH.");
        }

        if (method != ClientAuthenticationMethod.PrivateKeyJwt && signingKey is not null)
        {
            throw new CliException(
                ExitCodes.UsageError,
                $"--signing-key is the key of --client-auth {ClientAuthenticationNames.PrivateKeyJwt}; --client-auth {ClientAuthenticationNames.Name(method)} does not sign with it.");
        }

        if (!ClientAuthenticationNames.UsesSecret(method) && method != ClientAuthenticationMethod.PrivateKeyJwt && certificate is null)
        {
            throw new CliException(ExitCodes.UsageError, $"--client-auth {ClientAuthenticationNames.Name(method)} proves the client with its certificate: give --client-certificate PATH.");
        }

        return (method, signingKey, certificate, certificateKey);
    }

    private string? ReadSecret(ParseResult parsed, CliEnvironment environment)
    {
        var secret = parsed.GetValue(_secretFromStdin)
            ? environment.In.ReadLine()?.Trim()
            : environment.GetVariable(CliEnvironment.ClientSecretVariable);
        if (parsed.GetValue(_secretFromStdin) && string.IsNullOrEmpty(secret))
        {
            throw new CliException(ExitCodes.UsageError, "--client-secret-stdin was given, but standard input had no secret on its first line.");
        }

        return secret;
    }

    /// <summary>
    /// The absolute path a file option names: the store remembers it, and <c>token</c> may run in another directory.
    /// </summary>
    private static string? FullPath(ParseResult parsed, Option<string> option)
    {
        var path = parsed.GetValue(option);
        if (path is null)
        {
            return null;
        }

        try
        {
            if (!string.IsNullOrWhiteSpace(path))
            {
                return Path.GetFullPath(path);
            }
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            // The same sentence as an empty path: the exception's own words add nothing a user can act on.
        }

        throw new CliException(ExitCodes.UsageError, $"{option.Name} needs the path of a file; '{path}' is not one.");
    }

    private static bool IsGiven(ParseResult parsed, Option option) => parsed.GetResult(option) is { Implicit: false };

    private static CliException Missing(string option) => new(
        ExitCodes.UsageError,
        $"{option} is required: the store remembers nothing for this client (login or get with --store put it there; revoke removes it).");
}
