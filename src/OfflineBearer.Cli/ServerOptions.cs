using System.CommandLine;

namespace OfflineBearer.Cli;

/// <summary>The options that say which server and client a command talks as.</summary>
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
        Description = "How a confidential client authenticates: basic (Authorization header) or post (in the form).",
        DefaultValueFactory = _ => "basic",
    }.AcceptOnlyFromAmong("basic", "post");

    private readonly Option<bool> _secretFromStdin = new("--client-secret-stdin")
    {
        Description = $"Read the client secret from the first line of standard input. Without it the secret comes from " +
            $"{CliEnvironment.ClientSecretVariable}; never from an argument, which other users can read in the process list. " +
            "No secret: a public client.",
    };

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
    }

    /// <summary>The library's options for this client, with the secret read from where the user put it.</summary>
    /// <param name="parsed">The command line.</param>
    /// <param name="environment">Where the secret may come from.</param>
    /// <param name="remembered">What login or get remembered for the client, used where the command line is silent.</param>
    public OfflineBearerOptions Read(ParseResult parsed, CliEnvironment environment, ClientSettings? remembered = null)
    {
        var secret = parsed.GetValue(_secretFromStdin)
            ? environment.In.ReadLine()?.Trim()
            : environment.GetVariable(CliEnvironment.ClientSecretVariable);
        if (parsed.GetValue(_secretFromStdin) && string.IsNullOrEmpty(secret))
        {
            throw new CliException(ExitCodes.UsageError, "--client-secret-stdin was given, but standard input had no secret on its first line.");
        }

        var authority = parsed.GetValue(_authority) ?? remembered?.Authority ?? throw Missing("--authority");
        if (!Uri.TryCreate(authority, UriKind.Absolute, out _))
        {
            throw new CliException(ExitCodes.UsageError, $"--authority must be an absolute URL such as https://sso.example.org/realms/prod; it was '{authority}'.");
        }

        return new OfflineBearerOptions
        {
            Authority = authority,
            ClientId = parsed.GetValue(_clientId) ?? remembered?.ClientId ?? throw Missing("--client-id"),
            ClientSecret = string.IsNullOrEmpty(secret) ? null : secret,
            Scope = parsed.GetValue(_scope) ?? remembered?.Scope,
            ClientAuthentication = (IsGiven(parsed, _clientAuth) ? parsed.GetValue(_clientAuth) : remembered?.ClientAuthentication) == "post"
                ? ClientAuthenticationMethod.ClientSecretPost
                : ClientAuthenticationMethod.ClientSecretBasic,
        };
    }

    /// <summary>What to remember of <paramref name="options"/> beside a stored token: everything but the secret.</summary>
    public static ClientSettings Remember(OfflineBearerOptions options) => new(
        options.Authority!,
        options.ClientId!,
        options.ClientAuthentication == ClientAuthenticationMethod.ClientSecretPost ? "post" : "basic",
        options.Scope);

    private static bool IsGiven(ParseResult parsed, Option option) => parsed.GetResult(option) is { Implicit: false };

    private static CliException Missing(string option) => new(
        ExitCodes.UsageError,
        $"{option} is required: the store remembers nothing for this client (login or get with --store put it there; revoke removes it).");
}
