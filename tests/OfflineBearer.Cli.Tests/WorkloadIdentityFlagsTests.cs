using System.CommandLine;
using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Stores;
using OfflineBearer.Validation;

namespace OfflineBearer.Cli.Tests;

/// <summary>
/// How <c>--client-assertion-file</c>, <c>--grant</c>, the subject token's flags, <c>--resource</c> and <c>--audience</c>
/// become the library's options, what the store remembers of them for <c>token</c>, and the usage errors that name the
/// flag to change, before anything is asked of a server.
/// </summary>
public sealed class WorkloadIdentityFlagsTests : IDisposable
{
    private const string Authority = "https://sso.example.org/realms/prod";
    private const string Jwt = "/var/run/secrets/tokens/offlinebearer";
    private const string Subject = "/run/tokens/subject";
    private const string JwtKey = "/run/secrets/inventory/jwt.key.pem";
    private const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";
    private const string JwtType = "urn:ietf:params:oauth:token-type:jwt";

    private static readonly TokenRequestFlags Get = TokenRequestFlags.Resource | TokenRequestFlags.Audience | TokenRequestFlags.Grant;
    private static readonly TokenRequestFlags Token = TokenRequestFlags.Resource | TokenRequestFlags.Audience;

    private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal) { [CliEnvironment.ClientSecretVariable] = "a-secret" };
    private readonly string _directory = Directory.CreateTempSubdirectory("offline-token-workload-").FullName;

    [Fact]
    public void A_client_assertion_file_proves_the_client_alone_and_no_secret_is_read()
    {
        var options = Read(Get, remembered: null, "--client-assertion-file", Jwt);

        Assert.Equal(ClientAuthenticationMethod.ClientAssertion, options.ClientAuthentication);
        Assert.Equal(Jwt, options.ClientAssertionPath);
        Assert.Equal(OfflineBearerGrant.ClientCredentials, options.Grant);
        Assert.Null(options.ClientSecret); // left in the environment for another client
    }

    [Theory]
    [InlineData("client-assertion", "--client-auth", "client-assertion", "--client-assertion-file", Jwt)]
    [InlineData("client-assertion", "--grant", "client-credentials", "--client-assertion-file", Jwt)]
    [InlineData("client-assertion", "--client-auth", "client-assertion", "--client-assertion-file", Jwt, "--client-certificate", "/run/tls.crt")]
    [InlineData("basic", "--grant", "jwt-bearer", "--client-assertion-file", Jwt)]
    [InlineData("post", "--grant", "jwt-bearer", "--client-assertion-file", Jwt, "--client-auth", "post")]
    [InlineData("private-key-jwt", "--grant", "jwt-bearer", "--client-assertion-file", Jwt, "--signing-key", JwtKey)]
    public void The_platform_s_JWT_is_the_client_s_proof_or_with_jwt_bearer_the_grant_s_assertion(string method, params string[] flags)
    {
        var options = Read(Get, remembered: null, flags);

        Assert.Equal(method, ClientAuthenticationNames.Name(options.ClientAuthentication));
        Assert.Equal(Jwt, options.ClientAssertionPath);
        Assert.Equal(flags.Contains("jwt-bearer") ? OfflineBearerGrant.JwtBearer : OfflineBearerGrant.ClientCredentials, options.Grant);
        Assert.Equal(ClientAuthenticationNames.UsesSecret(options.ClientAuthentication) ? "a-secret" : null, options.ClientSecret);
    }

    [Fact]
    public void A_public_client_may_run_jwt_bearer_with_its_id_alone()
    {
        _variables.Clear();

        var options = Read(Get, remembered: null, "--grant", "jwt-bearer", "--client-assertion-file", Jwt);

        Assert.Equal(ClientAuthenticationMethod.ClientSecretBasic, options.ClientAuthentication);
        Assert.Null(options.ClientSecret);
    }

    [Fact]
    public void Token_exchange_takes_the_subject_token_s_file_and_types()
    {
        var plain = Read(Get, remembered: null, "--grant", "token-exchange", "--subject-token-file", Subject);
        var typed = Read(Get, remembered: null, "--grant", "token-exchange", "--subject-token-file", Subject, "--subject-token-type", JwtType, "--requested-token-type", JwtType);

        Assert.Equal(OfflineBearerGrant.TokenExchange, plain.Grant);
        Assert.Equal(Subject, plain.SubjectTokenPath);
        Assert.Equal(AccessTokenType, plain.SubjectTokenType);
        Assert.Null(plain.RequestedTokenType);
        Assert.Equal(JwtType, typed.SubjectTokenType);
        Assert.Equal(JwtType, typed.RequestedTokenType);
    }

    [Fact]
    public void Relative_files_become_absolute_so_that_token_can_run_in_another_directory()
    {
        var assertion = Read(Get, remembered: null, "--client-assertion-file", "tokens/sa");
        var subject = Read(Get, remembered: null, "--grant", "token-exchange", "--subject-token-file", "tokens/subject");

        Assert.Equal(Path.GetFullPath("tokens/sa"), assertion.ClientAssertionPath);
        Assert.Equal(Path.GetFullPath("tokens/subject"), subject.SubjectTokenPath);
    }

    [Fact]
    public void Resource_repeats_and_audience_names_one_api()
    {
        var options = Read(Get, remembered: null, "--resource", "https://api.example.org/", "--resource", "urn:example:ledger", "--audience", "downstream-api");
        var neither = Read(Get, remembered: null);

        Assert.Equal(["https://api.example.org/", "urn:example:ledger"], options.Resource);
        Assert.Equal("downstream-api", options.Audience);
        Assert.Empty(neither.Resource);
        Assert.Null(neither.Audience);
    }

    [Theory]
    [InlineData("--grant token-exchange trades a subject token for a new one: give --subject-token-file PATH", "--grant", "token-exchange")]
    [InlineData("--grant token-exchange trades a subject token", "--grant", "token-exchange", "--subject-token-type", JwtType)]
    [InlineData("--client-secret-stdin is for basic and post; the platform's JWT of --client-assertion-file proves the client without a secret.", "--client-assertion-file", Jwt, "--client-secret-stdin")]
    [InlineData("--grant jwt-bearer trades the platform's JWT for a token: give --client-assertion-file PATH.", "--grant", "jwt-bearer")]
    [InlineData("--client-auth client-assertion and --grant jwt-bearer would send the same JWT twice", "--grant", "jwt-bearer", "--client-auth", "client-assertion", "--client-assertion-file", Jwt)]
    [InlineData("--client-auth client-assertion sends the platform's JWT as the client's proof: give --client-assertion-file PATH.", "--client-auth", "client-assertion")]
    [InlineData("--client-assertion-file is the JWT of --client-auth client-assertion (or of --grant jwt-bearer); --client-auth post does not send it.", "--client-auth", "post", "--client-assertion-file", Jwt)]
    [InlineData("--signing-key and --client-assertion-file were both given: say with --client-auth which one proves the client (private-key-jwt or client-assertion).", "--client-assertion-file", Jwt, "--signing-key", JwtKey)]
    [InlineData("--signing-key and --client-certificate and --client-assertion-file were all given: say with --client-auth which one proves the client (private-key-jwt, tls, self-signed-tls or client-assertion).", "--client-assertion-file", Jwt, "--signing-key", JwtKey, "--client-certificate", "/run/tls.crt")]
    [InlineData("--signing-key is the key of --client-auth private-key-jwt; --client-auth client-assertion does not sign with it.", "--client-auth", "client-assertion", "--client-assertion-file", Jwt, "--signing-key", JwtKey)]
    [InlineData("--subject-token-file is for --grant token-exchange; --grant client-credentials exchanges no subject token.", "--subject-token-file", Subject)]
    [InlineData("--requested-token-type is for --grant token-exchange; --grant jwt-bearer exchanges no subject token.", "--grant", "jwt-bearer", "--client-assertion-file", Jwt, "--requested-token-type", JwtType)]
    [InlineData("--subject-token-type must be a URI such as urn:ietf:params:oauth:token-type:access_token; it was 'access_token'.", "--grant", "token-exchange", "--subject-token-file", Subject, "--subject-token-type", "access_token")]
    [InlineData("--resource must be an absolute URI without a fragment (RFC 8707), such as https://api.example.org/; it was 'api.example.org'.", "--resource", "api.example.org")]
    [InlineData("--resource must be an absolute URI without a fragment (RFC 8707), such as https://api.example.org/; it was '/api'.", "--resource", "https://api.example.org/", "--resource", "/api")]
    [InlineData("--resource must be an absolute URI without a fragment (RFC 8707), such as https://api.example.org/; it was 'https://api.example.org/#v2'.", "--resource", "https://api.example.org/#v2")]
    [InlineData("--audience needs the name of an API, such as downstream-api.", "--audience", " ")]
    [InlineData("--client-assertion-file needs the path of a file; ' ' is not one.", "--client-assertion-file", " ")]
    [InlineData("--subject-token-file needs the path of a file; '' is not one.", "--grant", "token-exchange", "--subject-token-file", "")]
    public void A_grant_or_target_flag_that_does_not_fit_is_a_usage_error_naming_the_flag(string message, params string[] flags)
    {
        var error = Assert.Throws<CliException>(() => Read(Get, remembered: null, flags));

        Assert.Equal(ExitCodes.UsageError, error.ExitCode);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("login", "--grant", "jwt-bearer")]
    [InlineData("login", "--subject-token-file", Subject)]
    [InlineData("token", "--grant", "token-exchange")]
    [InlineData("token", "--requested-token-type", JwtType)]
    [InlineData("revoke", "--subject-token-type", JwtType)]
    public async Task Grant_flags_anywhere_but_get_are_a_usage_error_that_points_to_get(string command, string flag, string value)
    {
        var run = await RunCommandAsync(command, flag, value);

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Equal(
            $"offline-token: {flag} is for get, which runs the client's own grant and remembers it: login signs a person in, and token runs again the grant that get remembered in the store.",
            run.Error.TrimEnd());
    }

    [Theory]
    [InlineData("login", "--audience", "downstream-api", "--audience is for get and token, which send it with the client's own grant; a person's login names the API with --resource.")]
    [InlineData("revoke", "--resource", "https://api.example.org/", "--resource shapes the tokens a command asks for (login, get, token); this command asks for none.")]
    [InlineData("revoke", "--audience", "downstream-api", "--audience shapes the tokens a command asks for (login, get, token); this command asks for none.")]
    public async Task Target_flags_where_no_token_takes_them_are_a_usage_error_that_says_where_they_belong(string command, string flag, string value, string message)
    {
        var run = await RunCommandAsync(command, flag, value);

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Equal($"offline-token: {message}", run.Error.TrimEnd());
    }

    [Theory]
    [InlineData("--client-assertion-file", Jwt)]
    [InlineData("--grant", "jwt-bearer", "--client-assertion-file", Jwt, "--signing-key", JwtKey)]
    [InlineData("--grant", "jwt-bearer", "--client-assertion-file", Jwt, "--scope", "offline_access")]
    [InlineData("--grant", "token-exchange", "--subject-token-file", Subject)]
    [InlineData("--grant", "token-exchange", "--subject-token-file", Subject, "--subject-token-type", JwtType, "--requested-token-type", JwtType, "--client-auth", "post")]
    [InlineData("--resource", "https://api.example.org/", "--resource", "https://ledger.example.org/", "--audience", "downstream-api")]
    public async Task What_get_remembers_is_what_token_runs_again(params string[] flags)
    {
        var given = Read(Get, remembered: null, flags);
        await ServerOptions.Remember(given).WriteAsync(_directory, "inventory", default);

        var remembered = await ClientSettings.ReadAsync(_directory, "inventory", default);
        var later = Read(Token, remembered); // token --store DIR --client NAME

        Assert.Equal(given.Grant, later.Grant);
        Assert.Equal(given.ClientAuthentication, later.ClientAuthentication);
        Assert.Equal(given.ClientAssertionPath, later.ClientAssertionPath);
        Assert.Equal(given.SigningKeyPath, later.SigningKeyPath);
        Assert.Equal(given.SubjectTokenPath, later.SubjectTokenPath);
        Assert.Equal(given.SubjectTokenType, later.SubjectTokenType);
        Assert.Equal(given.RequestedTokenType, later.RequestedTokenType);
        Assert.Equal(given.Resource, later.Resource);
        Assert.Equal(given.Audience, later.Audience);
        Assert.Equal(given.Scope, later.Scope);
    }

    [Fact]
    public void Resource_and_audience_given_to_token_replace_what_was_remembered()
    {
        var remembered = new ClientSettings(Authority, "inventory-sync", "basic", Scope: null, Resource: ["https://old.example.org/", "https://other.example.org/"], Audience: "old-api");

        var replaced = Read(Token, remembered, "--resource", "https://new.example.org/", "--audience", "new-api");
        var kept = Read(Token, remembered);

        Assert.Equal(["https://new.example.org/"], replaced.Resource);
        Assert.Equal("new-api", replaced.Audience);
        Assert.Equal(["https://old.example.org/", "https://other.example.org/"], kept.Resource);
        Assert.Equal("old-api", kept.Audience);
    }

    [Fact]
    public void Authentication_given_to_token_for_a_jwt_bearer_client_keeps_the_grant_s_file()
    {
        var remembered = new ClientSettings(Authority, "inventory-sync", "basic", Scope: null, ClientAssertionPath: Jwt, Grant: "jwt-bearer");

        var withKey = Read(Token, remembered, "--signing-key", JwtKey);
        var newFile = Read(Token, remembered, "--client-assertion-file", "/var/run/secrets/tokens/renamed");

        Assert.Equal(OfflineBearerGrant.JwtBearer, withKey.Grant);
        Assert.Equal(ClientAuthenticationMethod.PrivateKeyJwt, withKey.ClientAuthentication);
        Assert.Equal(Jwt, withKey.ClientAssertionPath);
        Assert.Equal(ClientAuthenticationMethod.ClientSecretBasic, newFile.ClientAuthentication); // the file is the grant's, not a proof
        Assert.Equal("/var/run/secrets/tokens/renamed", newFile.ClientAssertionPath);
    }

    [Fact]
    public void Authentication_given_to_token_replaces_a_remembered_client_assertion_as_a_whole()
    {
        var remembered = new ClientSettings(Authority, "workload-client", "client-assertion", Scope: null, ClientAssertionPath: Jwt);

        var options = Read(Token, remembered, "--client-auth", "post");

        Assert.Equal(ClientAuthenticationMethod.ClientSecretPost, options.ClientAuthentication);
        Assert.Null(options.ClientAssertionPath);
        Assert.Equal("a-secret", options.ClientSecret);
    }

    [Fact]
    public void Settings_written_before_the_workload_grants_mean_client_credentials_for_no_particular_api()
    {
        var remembered = new ClientSettings(Authority, "inventory-sync", "post", "offline_access");

        var options = Read(Token, remembered);

        Assert.Equal(OfflineBearerGrant.ClientCredentials, options.Grant);
        Assert.Null(options.ClientAssertionPath);
        Assert.Null(options.SubjectTokenPath);
        Assert.Equal(AccessTokenType, options.SubjectTokenType);
        Assert.Empty(options.Resource);
        Assert.Null(options.Audience);
    }

    [Fact]
    public void The_library_s_grant_messages_are_told_as_the_tool_s_flags()
    {
        var validator = new OfflineBearerOptionsValidator(new InMemoryRefreshTokenStore());
        string Failures(Action<OfflineBearerOptions> configure)
        {
            var options = new OfflineBearerOptions { Authority = Authority, ClientId = "inventory-sync", ClientSecret = "s" };
            configure(options);
            return ServerOptions.ToFlags(string.Join(" ", validator.Validate("inventory", options).Failures ?? []));
        }

        var noAssertion = Failures(o => o.Grant = OfflineBearerGrant.JwtBearer);
        var twice = Failures(o => (o.ClientSecret, o.ClientAuthentication, o.Grant, o.ClientAssertionPath) = (null, ClientAuthenticationMethod.ClientAssertion, OfflineBearerGrant.JwtBearer, Jwt));
        var unsent = Failures(o => o.ClientAssertionPath = Jwt);
        var noSubject = Failures(o => o.Grant = OfflineBearerGrant.TokenExchange);
        var stray = Failures(o => o.SubjectTokenPath = Subject);
        var resource = Failures(o => o.Resource.Add("api"));
        var missing = Path.Combine(_directory, "no-such-jwt");
        var unreadable = ServerOptions.ToFlags(string.Join(" ", new CredentialFilesValidator().Validate("inventory", new OfflineBearerOptions { ClientAssertionPath = missing }).Failures ?? []));

        Assert.Equal("OfflineBearer client 'inventory': --grant jwt-bearer needs the platform's JWT: set --client-assertion-file.", noAssertion);
        Assert.Equal(
            "OfflineBearer client 'inventory': --client-auth client-assertion and --grant jwt-bearer would send the same JWT twice; with a platform's JWT as the client's proof, leave --grant at client-credentials.",
            twice);
        Assert.Equal("OfflineBearer client 'inventory': --client-assertion-file is set but nothing sends it; give --client-auth client-assertion or --grant jwt-bearer.", unsent);
        Assert.Equal("OfflineBearer client 'inventory': --grant token-exchange needs exactly one subject token: --subject-token-file.", noSubject);
        Assert.Equal("OfflineBearer client 'inventory': a subject token is set but --grant is client-credentials; give --grant token-exchange or remove it.", stray);
        Assert.StartsWith("OfflineBearer client 'inventory': each --resource must be an absolute URI without a fragment (RFC 8707)", resource, StringComparison.Ordinal);
        Assert.Equal($"OfflineBearer client 'inventory': --client-assertion-file '{missing}' cannot be read (FileNotFoundException).", unreadable);
    }

    [Fact]
    public async Task Get_help_says_what_each_new_flag_does_and_login_help_shows_no_grant()
    {
        var get = await RunAsync("get", "--help");
        var login = await RunAsync("login", "--help");
        var token = await RunAsync("token", "--help");

        Assert.Equal(0, get.ExitCode);
        foreach (var text in new[]
        {
            "--client-assertion-file <PATH>", "(implies --client-auth client-assertion)", "--grant <client-credentials|jwt-bearer|token-exchange>",
            "--subject-token-file <PATH>", "--subject-token-type <URI>", "--requested-token-type <URI>", "--resource <URI>", "--audience <NAME>",
            "client-assertion (the platform's JWT of --client-assertion-file, RFC 7523)", "The store remembers its path, never the JWT.",
        })
        {
            Assert.Contains(text, Unwrapped(get.Out), StringComparison.Ordinal);
        }

        Assert.DoesNotContain("--grant", login.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("--audience", login.Out, StringComparison.Ordinal);
        Assert.Contains("Also in the browser's authorization request.", Unwrapped(login.Out), StringComparison.Ordinal);
        Assert.DoesNotContain("--subject-token-file", token.Out, StringComparison.Ordinal);
        Assert.Contains("Remembered in the store by get; given here, replaces what was remembered.", Unwrapped(token.Out), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Help text as one line per option: the help wraps long descriptions at the console's width.</summary>
    private static string Unwrapped(string help) =>
        System.Text.RegularExpressions.Regex.Replace(help, @"\s*\r?\n\s+", " ");

    /// <summary>The options a command of the tool gives the library, from its command line and what was remembered.</summary>
    private OfflineBearerOptions Read(TokenRequestFlags takes, ClientSettings? remembered, params string[] flags)
    {
        var server = new ServerOptions(takes, defaultScope: null, remembered: remembered is not null);
        var command = new RootCommand();
        server.AddTo(command);
        var parsed = command.Parse(remembered is null ? ["--authority", Authority, "--client-id", "inventory-sync", .. flags] : flags);
        Assert.Empty(parsed.Errors);
        return server.Read(parsed, Environment(TextWriter.Null, TextWriter.Null), remembered);
    }

    /// <summary><paramref name="command"/> with what it needs besides the flag: the server for login, the store for the others.</summary>
    private Task<(int ExitCode, string Out, string Error)> RunCommandAsync(string command, string flag, string value) =>
        command == "login"
            ? RunAsync(command, "--authority", Authority, "--client-id", "inventory-sync", flag, value)
            : RunAsync(command, "--store", _directory, "--client", "inventory", flag, value);

    /// <summary>A whole command of the tool; none of these gets as far as a server, so none is needed.</summary>
    private async Task<(int ExitCode, string Out, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await OfflineTokenApp.RunAsync(args, Environment(output, error));
        return (exitCode, output.ToString(), error.ToString());
    }

    private CliEnvironment Environment(TextWriter output, TextWriter error) => new()
    {
        Out = output,
        Error = error,
        In = new StringReader("a-secret-on-stdin\n"),
        GetVariable = name => _variables.GetValueOrDefault(name),
        Time = new FakeTimeProvider(),
        OpenBrowser = _ => false,
    };
}
