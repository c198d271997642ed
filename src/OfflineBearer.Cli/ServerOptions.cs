using System.CommandLine;

namespace OfflineBearer.Cli;

/// <summary>The options that say which server and client a command talks as.</summary>
internal sealed class ServerOptions
{
    private readonly Option<string> _authority = new("--authority")
    {
        Description = "The issuer URL, e.g. https://sso.example.org/realms/prod; endpoints come from its discovery document.",
        Required = true,
    };

    private readonly Option<string> _clientId = new("--client-id") { Description = "The OAuth client id.", Required = true };

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

    public ServerOptions(string? defaultScope)
    {
        _scope = new Option<string>("--scope")
        {
            Description = "The scopes to ask for, separated by spaces.",
            DefaultValueFactory = _ => defaultScope!,
        };
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
    public OfflineBearerOptions Read(ParseResult parsed, CliEnvironment environment)
    {
        var secret = parsed.GetValue(_secretFromStdin)
            ? environment.In.ReadLine()?.Trim()
            : environment.GetVariable(CliEnvironment.ClientSecretVariable);
        if (parsed.GetValue(_secretFromStdin) && string.IsNullOrEmpty(secret))
        {
            throw new CliException(ExitCodes.UsageError, "--client-secret-stdin was given, but standard input had no secret on its first line.");
        }

        var authority = parsed.GetRequiredValue(_authority);
        if (!Uri.TryCreate(authority, UriKind.Absolute, out _))
        {
            throw new CliException(ExitCodes.UsageError, $"--authority must be an absolute URL such as https://sso.example.org/realms/prod; it was '{authority}'.");
        }

        return new OfflineBearerOptions
        {
            Authority = authority,
            ClientId = parsed.GetRequiredValue(_clientId),
            ClientSecret = string.IsNullOrEmpty(secret) ? null : secret,
            Scope = parsed.GetValue(_scope),
            ClientAuthentication = parsed.GetValue(_clientAuth) == "post"
                ? ClientAuthenticationMethod.ClientSecretPost
                : ClientAuthenticationMethod.ClientSecretBasic,
        };
    }
}
