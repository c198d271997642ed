using System.CommandLine;

namespace OfflineBearer.Cli;

/// <summary>
/// The options that say which server and client a command talks as, which grant it runs and what its tokens are for.
/// Longer than 250 lines because each of its twenty flags carries its help text, its fallback (an environment variable,
/// what the store remembered) and its refusals here, next to the one place that reads them.
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
            "RFC 8705), self-signed-tls (--client-certificate, one the server holds for this client) or client-assertion (the " +
            "platform's JWT of --client-assertion-file, RFC 7523). By default basic, private-key-jwt with --signing-key, tls with " +
            "--client-certificate, client-assertion with --client-assertion-file.",
    }.AcceptOnlyFromAmong(ClientAuthenticationNames.All);

    private readonly Option<bool> _secretFromStdin = new("--client-secret-stdin")
    {
        Description = $"Read the client secret from the first line of standard input. Without it the secret comes from " +
            $"{CliEnvironment.ClientSecretVariable}; never from an argument, which other users can read in the process list. " +
            "No secret: a public client. Only for basic and post: a key, a certificate or the platform's JWT needs no secret.",
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

    private readonly Option<string> _clientAssertion = new("--client-assertion-file")
    {
        Description = "A JWT file that the platform issues and renews (a Kubernetes projected service account token, a CI job's OIDC " +
            "token), read again at every token request: the client's proof, sent as client_assertion with no secret and no client_id " +
            "(implies --client-auth client-assertion). One that has expired is refused, never sent. The store remembers its path, never the JWT.",
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
        ("ClientAssertionPath (or ClientAssertionProvider in code)", "--client-assertion-file"),
        ("ClientAssertionPath", "--client-assertion-file"),
        ("ClientAuthentication is ClientAssertion", $"--client-auth {ClientAuthenticationNames.ClientAssertion}"),
        ("ClientAuthentication ClientAssertion", $"--client-auth {ClientAuthenticationNames.ClientAssertion}"),
        ("set ClientAuthentication to ClientAssertion or Grant to JwtBearer", $"give --client-auth {ClientAuthenticationNames.ClientAssertion} or --grant {GrantNames.JwtBearer}"),
        ("SubjectTokenClient, SubjectTokenPath or SubjectTokenProvider", "--subject-token-file"),
        ("SubjectTokenPath", "--subject-token-file"),
        ("SubjectTokenType", "--subject-token-type"),
        ("RequestedTokenType", "--requested-token-type"),
        ("set Grant to TokenExchange", $"give --grant {GrantNames.TokenExchange}"),
        ("Grant is ClientCredentials", $"--grant is {GrantNames.ClientCredentials}"),
        ("Grant is JwtBearer", $"--grant is {GrantNames.JwtBearer}"),
        ("use Grant ClientCredentials", $"leave --grant at {GrantNames.ClientCredentials}"),
        ("Grant JwtBearer", $"--grant {GrantNames.JwtBearer}"),
        ("Grant TokenExchange", $"--grant {GrantNames.TokenExchange}"),
        ("each Resource must", "each --resource must"),
        ("ClientAuthentication is PrivateKeyJwt", $"--client-auth {ClientAuthenticationNames.PrivateKeyJwt}"),
        ("ClientAuthentication is TlsClientAuth", $"--client-auth {ClientAuthenticationNames.Tls}"),
        ("ClientAuthentication is SelfSignedTlsClientAuth", $"--client-auth {ClientAuthenticationNames.SelfSignedTls}"),
        ("SigningKeyPath", "--signing-key"),
        ("ClientCertificateKeyPath", "--client-certificate-key"),
        ("ClientCertificatePath", "--client-certificate"),
        ("ClientCertificatePassword", CliEnvironment.ClientCertificatePasswordVariable),
        ("Authority must", "--authority must"),
    ];

    private readonly TokenRequestFlags _takes;

    private readonly Option<string> _grant;

    private readonly Option<string> _subjectToken = new("--subject-token-file")
    {
        Description = "For --grant token-exchange: the file holding the token to exchange, read again at every token request (a token " +
            "another tool or the platform keeps current). The store remembers its path, never the token.",
        HelpName = "PATH",
    };

    private readonly Option<string> _subjectTokenType = new("--subject-token-type")
    {
        Description = "For --grant token-exchange: the type of the subject token (subject_token_type). By default " +
            "urn:ietf:params:oauth:token-type:access_token.",
        HelpName = "URI",
    };

    private readonly Option<string> _requestedTokenType = new("--requested-token-type")
    {
        Description = "For --grant token-exchange: the type of token to ask for (requested_token_type), e.g. " +
            "urn:ietf:params:oauth:token-type:jwt. By default the server chooses (an access token).",
        HelpName = "URI",
    };

    private readonly Option<string[]> _resource = new("--resource")
    {
        Description = "An API the token is for, as an absolute URI (resource, RFC 8707; Entra ID and OpenIddict pick the token's " +
            "audience by it); once per API. Sent with every token request, refreshes included.",
        HelpName = "URI",
    };

    private readonly Option<string> _audience = new("--audience")
    {
        Description = "The name of the API the token is for (audience: RFC 8693 for token-exchange; Auth0 and Keycloak take it with " +
            "client-credentials and jwt-bearer too). Sent with every grant that makes a new token, not with a refresh, which keeps it.",
        HelpName = "NAME",
    };

    /// <param name="takes">Which flags that shape a token request the command takes; it refuses the others.</param>
    /// <param name="defaultScope">The scope asked for when <c>--scope</c> is not given.</param>
    /// <param name="remembered">
    /// Whether the command may take server, client id, authentication, grant, scope and targets from what <c>login</c> or
    /// <c>get</c> remembered in the store; otherwise <c>--authority</c> and <c>--client-id</c> are required.
    /// </param>
    public ServerOptions(TokenRequestFlags takes, string? defaultScope, bool remembered = false)
    {
        _takes = takes;
        _authority.Required = !remembered;
        _clientId.Required = !remembered;
        _grant = new Option<string>("--grant")
        {
            Description = "How get gets its token: client-credentials (the client's own credentials; the default), jwt-bearer (trades the " +
                "platform's JWT of --client-assertion-file, RFC 7523, while the client proves itself with its secret, key or certificate, " +
                "or as a public client sends its id) or token-exchange (trades the token of --subject-token-file, RFC 8693). " +
                "Remembered in the store, so that token runs it again when it needs a new token.",
        };
        if (takes.HasFlag(TokenRequestFlags.Grant))
        {
            _grant.AcceptOnlyFromAmong(GrantNames.All);
            _clientAssertion.Description += " With --grant jwt-bearer it is the grant's assertion instead, and the client proves itself as " +
                "--client-auth says.";
        }

        if (takes.HasFlag(TokenRequestFlags.Resource) && !takes.HasFlag(TokenRequestFlags.Grant) && !remembered)
        {
            _resource.Description += " Also in the browser's authorization request.";
        }

        if (remembered)
        {
            _authority.Description += " Remembered in the store by login and get.";
            _clientAuth.Description += " Remembered in the store by login and get with the key, certificate and JWT file paths, which any of " +
                "--client-auth, --signing-key, --client-certificate, --client-assertion-file given here replaces.";
            _clientAssertion.Description += " For a client that get remembered with --grant jwt-bearer, it replaces the grant's file.";
            _resource.Description += " Remembered in the store by login and get; given here, replaces what was remembered.";
            _audience.Description += " Remembered in the store by get; given here, replaces what was remembered.";
        }

        _scope = new Option<string>("--scope") { Description = "The scopes to ask for, separated by spaces." };
        if (defaultScope is not null)
        {
            _scope.DefaultValueFactory = _ => defaultScope;
        }

        // Flags the command does not take stay known, and hidden, so that Read refuses them with a sentence.
        _grant.Hidden = _subjectToken.Hidden = _subjectTokenType.Hidden = _requestedTokenType.Hidden = !takes.HasFlag(TokenRequestFlags.Grant);
        _resource.Hidden = !takes.HasFlag(TokenRequestFlags.Resource);
        _audience.Hidden = !takes.HasFlag(TokenRequestFlags.Audience);
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
        command.Options.Add(_clientAssertion);
        command.Options.Add(_grant);
        command.Options.Add(_subjectToken);
        command.Options.Add(_subjectTokenType);
        command.Options.Add(_requestedTokenType);
        command.Options.Add(_resource);
        command.Options.Add(_audience);
        command.Options.Add(_passwordOnCommandLine);
    }

    /// <summary>
    /// The library's options for this client, with the secret or the certificate's password read from where the user put
    /// them. A key, a certificate, the platform's JWT or a subject token is not read here: the library's own validation
    /// checks the files when the session opens, and reads a JWT or a subject token at each token request.
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

        RefuseWhatTheCommandDoesNotTake(parsed);
        var (grant, subjectTokenPath, subjectTokenType, requestedTokenType) = ReadGrant(parsed, remembered);
        var assertionIsGrant = grant == OfflineBearerGrant.JwtBearer;
        var (method, signingKeyPath, certificatePath, certificateKeyPath, assertionPath) = ReadAuthentication(parsed, remembered, assertionIsGrant);
        if (assertionIsGrant)
        {
            assertionPath = FullPath(parsed, _clientAssertion) ?? remembered?.ClientAssertionPath
                ?? throw new CliException(ExitCodes.UsageError, $"--grant {GrantNames.JwtBearer} trades the platform's JWT for a token: give --client-assertion-file PATH.");
        }

        if (!ClientAuthenticationNames.UsesSecret(method) && parsed.GetValue(_secretFromStdin))
        {
            throw new CliException(
                ExitCodes.UsageError,
                method == ClientAuthenticationMethod.ClientAssertion
                    ? "--client-secret-stdin is for basic and post; the platform's JWT of --client-assertion-file proves the client without a secret."
                    : $"--client-secret-stdin is for basic and post; --client-auth {ClientAuthenticationNames.Name(method)} proves the client without a secret.");
        }

        // A key, a certificate or the platform's JWT proves the client alone: a secret left in the environment for another client is not sent.
        var secret = ClientAuthenticationNames.UsesSecret(method) ? ReadSecret(parsed, environment) : null;

        var authority = parsed.GetValue(_authority) ?? remembered?.Authority ?? throw Missing("--authority");
        if (!Uri.TryCreate(authority, UriKind.Absolute, out _))
        {
            throw new CliException(ExitCodes.UsageError, $"--authority must be an absolute URL such as https://sso.example.org/realms/prod; it was '{authority}'.");
        }

        var password = certificatePath is null ? null : environment.GetVariable(CliEnvironment.ClientCertificatePasswordVariable);
        var options = new OfflineBearerOptions
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
            ClientAssertionPath = assertionPath,
            Grant = grant,
            SubjectTokenPath = subjectTokenPath,
            RequestedTokenType = requestedTokenType,
            Audience = ReadAudience(parsed, remembered),
        };
        if (subjectTokenType is not null)
        {
            options.SubjectTokenType = subjectTokenType;
        }

        foreach (var resource in ReadResources(parsed, remembered))
        {
            options.Resource.Add(resource);
        }

        return options;
    }

    /// <summary>
    /// What to remember of <paramref name="options"/> beside a stored token: everything but the secret, the keys, the
    /// password and the tokens themselves (of the files that hold a JWT or a subject token, only their paths).
    /// </summary>
    public static ClientSettings Remember(OfflineBearerOptions options) => new(
        options.Authority!,
        options.ClientId!,
        ClientAuthenticationNames.Name(options.ClientAuthentication),
        options.Scope,
        options.SigningKeyPath,
        options.ClientCertificatePath,
        options.ClientCertificateKeyPath,
        options.ClientAssertionPath,
        options.Grant == OfflineBearerGrant.ClientCredentials ? null : GrantNames.Name(options.Grant),
        options.SubjectTokenPath,
        options.Grant == OfflineBearerGrant.TokenExchange ? options.SubjectTokenType : null,
        options.RequestedTokenType,
        options.Resource.Count == 0 ? null : [.. options.Resource],
        options.Audience);

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
    /// remembered key never joins a method given now). The platform's JWT is one of them unless it is the grant's.
    /// </summary>
    private (ClientAuthenticationMethod Method, string? SigningKeyPath, string? CertificatePath, string? CertificateKeyPath, string? AssertionPath) ReadAuthentication(
        ParseResult parsed, ClientSettings? remembered, bool assertionIsGrant)
    {
        var named = IsGiven(parsed, _clientAuth) ? parsed.GetValue(_clientAuth) : null;
        var signingKey = FullPath(parsed, _signingKey);
        var certificate = FullPath(parsed, _clientCertificate);
        var certificateKey = FullPath(parsed, _clientCertificateKey);
        var assertion = assertionIsGrant ? null : FullPath(parsed, _clientAssertion);
        if (named is null && signingKey is null && certificate is null && certificateKey is null && assertion is null)
        {
            if (remembered is null)
            {
                return (ClientAuthenticationMethod.ClientSecretBasic, null, null, null, null);
            }

            var rememberedMethod = ClientAuthenticationNames.Parse(remembered.ClientAuthentication);
            return (rememberedMethod, remembered.SigningKeyPath, remembered.ClientCertificatePath, remembered.ClientCertificateKeyPath,
                rememberedMethod == ClientAuthenticationMethod.ClientAssertion ? remembered.ClientAssertionPath : null);
        }

        if (certificateKey is not null && certificate is null)
        {
            throw new CliException(ExitCodes.UsageError, "--client-certificate-key is the key of --client-certificate: give --client-certificate PATH too.");
        }

        var method = named is not null ? ClientAuthenticationNames.Parse(named) : Implied(signingKey, certificate, assertion);
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

        if (method is ClientAuthenticationMethod.TlsClientAuth or ClientAuthenticationMethod.SelfSignedTlsClientAuth && certificate is null)
        {
            throw new CliException(ExitCodes.UsageError, $"--client-auth {ClientAuthenticationNames.Name(method)} proves the client with its certificate: give --client-certificate PATH.");
        }

        if (method == ClientAuthenticationMethod.ClientAssertion)
        {
            if (assertionIsGrant)
            {
                throw new CliException(
                    ExitCodes.UsageError,
                    $"--client-auth {ClientAuthenticationNames.ClientAssertion} and --grant {GrantNames.JwtBearer} would send the same JWT twice: with the " +
                    $"platform's JWT as the client's proof, leave --grant at {GrantNames.ClientCredentials}.");
            }

            if (assertion is null)
            {
                throw new CliException(
                    ExitCodes.UsageError,
                    $"--client-auth {ClientAuthenticationNames.ClientAssertion} sends the platform's JWT as the client's proof: give --client-assertion-file PATH.");
            }
        }
        else if (assertion is not null)
        {
            throw new CliException(
                ExitCodes.UsageError,
                $"--client-assertion-file is the JWT of --client-auth {ClientAuthenticationNames.ClientAssertion} (or of --grant {GrantNames.JwtBearer}); " +
                $"--client-auth {ClientAuthenticationNames.Name(method)} does not send it.");
        }

        return (method, signingKey, certificate, certificateKey, assertion);
    }

    /// <summary>The method that the one file given implies; with two or more, the user must say which proves the client.</summary>
    private static ClientAuthenticationMethod Implied(string? signingKey, string? certificate, string? assertion)
    {
        (string Flag, string Methods)[] given =
        [
            .. signingKey is null ? [] : new[] { ("--signing-key", ClientAuthenticationNames.PrivateKeyJwt) },
            .. certificate is null ? [] : new[] { ("--client-certificate", $"{ClientAuthenticationNames.Tls}, {ClientAuthenticationNames.SelfSignedTls}") },
            .. assertion is null ? [] : new[] { ("--client-assertion-file", ClientAuthenticationNames.ClientAssertion) },
        ];
        if (given.Length > 1)
        {
            var methods = string.Join(", ", given.Select(file => file.Methods));
            var last = methods.LastIndexOf(", ", StringComparison.Ordinal);
            throw new CliException(
                ExitCodes.UsageError,
                $"{string.Join(" and ", given.Select(file => file.Flag))} were {(given.Length == 2 ? "both" : "all")} given: say with --client-auth which one proves the client " +
                $"({methods[..last]} or {methods[(last + 2)..]}).");
        }

        return signingKey is not null ? ClientAuthenticationMethod.PrivateKeyJwt
            : certificate is not null ? ClientAuthenticationMethod.TlsClientAuth
            : assertion is not null ? ClientAuthenticationMethod.ClientAssertion
            : ClientAuthenticationMethod.ClientSecretBasic;
    }

    /// <summary>
    /// The grant and its subject token: from the command line where the command takes them (<c>get</c>), else as
    /// remembered (one unit: <c>token</c> runs again what <c>get</c> ran).
    /// </summary>
    private (OfflineBearerGrant Grant, string? SubjectTokenPath, string? SubjectTokenType, string? RequestedTokenType) ReadGrant(
        ParseResult parsed, ClientSettings? remembered)
    {
        if (!_takes.HasFlag(TokenRequestFlags.Grant))
        {
            return (GrantNames.Parse(remembered?.Grant), remembered?.SubjectTokenPath, remembered?.SubjectTokenType, remembered?.RequestedTokenType);
        }

        var grant = GrantNames.Parse(parsed.GetValue(_grant));
        var subjectToken = FullPath(parsed, _subjectToken);
        var subjectTokenType = TokenType(parsed, _subjectTokenType);
        var requestedTokenType = TokenType(parsed, _requestedTokenType);
        if (grant != OfflineBearerGrant.TokenExchange)
        {
            foreach (var option in new Option[] { _subjectToken, _subjectTokenType, _requestedTokenType })
            {
                if (IsGiven(parsed, option))
                {
                    throw new CliException(
                        ExitCodes.UsageError,
                        $"{option.Name} is for --grant {GrantNames.TokenExchange}; --grant {GrantNames.Name(grant)} exchanges no subject token.");
                }
            }
        }
        else if (subjectToken is null)
        {
            throw new CliException(
                ExitCodes.UsageError,
                $"--grant {GrantNames.TokenExchange} trades a subject token for a new one: give --subject-token-file PATH, the file that holds it.");
        }

        return (grant, subjectToken, subjectTokenType, requestedTokenType);
    }

    /// <summary>A token type of RFC 8693, a URI (its own are URNs such as <c>urn:ietf:params:oauth:token-type:jwt</c>).</summary>
    private static string? TokenType(ParseResult parsed, Option<string> option)
    {
        var type = parsed.GetValue(option);
        return type is null || IsAbsoluteUri(type)
            ? type
            : throw new CliException(ExitCodes.UsageError, $"{option.Name} must be a URI such as urn:ietf:params:oauth:token-type:access_token; it was '{type}'.");
    }

    /// <summary>The resources given now (all of them replace what was remembered), else as remembered.</summary>
    private IReadOnlyList<string> ReadResources(ParseResult parsed, ClientSettings? remembered)
    {
        if (!IsGiven(parsed, _resource))
        {
            return remembered?.Resource ?? [];
        }

        var resources = parsed.GetValue(_resource) ?? [];
        foreach (var resource in resources)
        {
            // RFC 8707 2: an absolute URI without a fragment.
            if (!IsAbsoluteUri(resource) || resource.Contains('#', StringComparison.Ordinal))
            {
                throw new CliException(
                    ExitCodes.UsageError,
                    $"--resource must be an absolute URI without a fragment (RFC 8707), such as https://api.example.org/; it was '{resource}'.");
            }
        }

        return resources;
    }

    private string? ReadAudience(ParseResult parsed, ClientSettings? remembered)
    {
        var audience = parsed.GetValue(_audience);
        return audience is null ? remembered?.Audience
            : string.IsNullOrWhiteSpace(audience) ? throw new CliException(ExitCodes.UsageError, "--audience needs the name of an API, such as downstream-api.")
            : audience;
    }

    /// <summary>A flag the command does not take is refused with a sentence that says which command takes it.</summary>
    private void RefuseWhatTheCommandDoesNotTake(ParseResult parsed)
    {
        if (!_takes.HasFlag(TokenRequestFlags.Grant))
        {
            foreach (var option in new Option[] { _grant, _subjectToken, _subjectTokenType, _requestedTokenType })
            {
                if (IsGiven(parsed, option))
                {
                    throw new CliException(
                        ExitCodes.UsageError,
                        $"{option.Name} is for get, which runs the client's own grant and remembers it: login signs a person in, and token " +
                        "runs again the grant that get remembered in the store.");
                }
            }
        }

        foreach (var (option, flag) in new (Option, TokenRequestFlags)[] { (_resource, TokenRequestFlags.Resource), (_audience, TokenRequestFlags.Audience) })
        {
            if (!_takes.HasFlag(flag) && IsGiven(parsed, option))
            {
                throw new CliException(
                    ExitCodes.UsageError,
                    _takes.HasFlag(TokenRequestFlags.Resource)
                        ? $"{option.Name} is for get and token, which send it with the client's own grant; a person's login names the API with --resource."
                        : $"{option.Name} shapes the tokens a command asks for (login, get, token); this command asks for none.");
            }
        }
    }

    /// <summary>
    /// An absolute URI with its scheme written out: on Unix .NET reads <c>/api</c> as an absolute file URI.
    /// </summary>
    private static bool IsAbsoluteUri(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && text.StartsWith(uri.Scheme + ":", StringComparison.OrdinalIgnoreCase);

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
