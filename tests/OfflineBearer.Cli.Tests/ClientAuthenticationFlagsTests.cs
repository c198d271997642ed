using System.CommandLine;
using Microsoft.Extensions.Time.Testing;

namespace OfflineBearer.Cli.Tests;

/// <summary>
/// How <c>--client-auth</c>, <c>--signing-key</c>, <c>--client-certificate</c> and <c>--client-certificate-key</c> become
/// the library's options (#12), and how what <c>login</c> and <c>get</c> remember stands in for them later.
/// </summary>
public sealed class ClientAuthenticationFlagsTests
{
    private const string Authority = "https://sso.example.org/realms/prod";
    private const string Crt = "/run/secrets/inventory/tls.crt";
    private const string Key = "/run/secrets/inventory/tls.key";
    private const string JwtKey = "/run/secrets/inventory/jwt.key.pem";

    private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);

    [Theory]
    [InlineData(ClientAuthenticationMethod.PrivateKeyJwt, JwtKey, null, null, "--signing-key", JwtKey)]
    [InlineData(ClientAuthenticationMethod.PrivateKeyJwt, JwtKey, null, null, "--client-auth", "private-key-jwt", "--signing-key", JwtKey)]
    [InlineData(ClientAuthenticationMethod.TlsClientAuth, null, Crt, null, "--client-certificate", Crt)]
    [InlineData(ClientAuthenticationMethod.TlsClientAuth, null, Crt, Key, "--client-certificate", Crt, "--client-certificate-key", Key)]
    [InlineData(ClientAuthenticationMethod.SelfSignedTlsClientAuth, null, Crt, null, "--client-auth", "self-signed-tls", "--client-certificate", Crt)]
    [InlineData(ClientAuthenticationMethod.PrivateKeyJwt, JwtKey, Crt, Key, "--client-auth", "private-key-jwt", "--signing-key", JwtKey, "--client-certificate", Crt, "--client-certificate-key", Key)]
    [InlineData(ClientAuthenticationMethod.ClientSecretBasic, null, Crt, null, "--client-auth", "basic", "--client-certificate", Crt)]
    [InlineData(ClientAuthenticationMethod.ClientSecretPost, null, null, null, "--client-auth", "post")]
    [InlineData(ClientAuthenticationMethod.ClientSecretBasic, null, null, null)]
    public void The_flags_set_the_library_options(
        ClientAuthenticationMethod method, string? signingKey, string? certificate, string? certificateKey, params string[] flags)
    {
        var options = Read(remembered: null, flags);

        Assert.Equal(method, options.ClientAuthentication);
        Assert.Equal(signingKey, options.SigningKeyPath);
        Assert.Equal(certificate, options.ClientCertificatePath);
        Assert.Equal(certificateKey, options.ClientCertificateKeyPath);
    }

    [Fact]
    public void Relative_paths_become_absolute_so_that_token_can_run_in_another_directory()
    {
        var options = Read(remembered: null, "--signing-key", "keys/jwt.key.pem", "--client-auth", "private-key-jwt");

        Assert.Equal(Path.GetFullPath("keys/jwt.key.pem"), options.SigningKeyPath);
    }

    [Fact]
    public void The_certificate_password_comes_from_its_environment_variable()
    {
        _variables[CliEnvironment.ClientCertificatePasswordVariable] = "p12-password";

        var withCertificate = Read(remembered: null, "--client-certificate", Crt);
        var withoutCertificate = Read(remembered: null, "--signing-key", JwtKey);

        Assert.Equal("p12-password", withCertificate.ClientCertificatePassword);
        Assert.Null(withoutCertificate.ClientCertificatePassword);
    }

    [Theory]
    [InlineData("--signing-key", JwtKey)]
    [InlineData("--client-certificate", Crt)]
    [InlineData("--client-auth", "basic", "--client-certificate", Crt)]
    public void A_secret_in_the_environment_is_sent_only_by_a_secret_method(params string[] flags)
    {
        _variables[CliEnvironment.ClientSecretVariable] = "a-secret";

        var options = Read(remembered: null, flags);

        Assert.Equal(ClientAuthenticationNames.UsesSecret(options.ClientAuthentication) ? "a-secret" : null, options.ClientSecret);
    }

    [Theory]
    [InlineData("private-key-jwt", JwtKey, null, null)]
    [InlineData("tls", null, Crt, Key)]
    [InlineData("self-signed-tls", null, Crt, null)]
    [InlineData("post", null, null, null)]
    public async Task What_get_remembers_is_what_token_uses(string auth, string? signingKey, string? certificate, string? certificateKey)
    {
        var flags = new List<string> { "--client-auth", auth };
        AddIf(flags, "--signing-key", signingKey);
        AddIf(flags, "--client-certificate", certificate);
        AddIf(flags, "--client-certificate-key", certificateKey);
        var directory = Directory.CreateTempSubdirectory("offline-token-settings-").FullName;
        try
        {
            var given = Read(remembered: null, [.. flags]);
            await ServerOptions.Remember(given).WriteAsync(directory, "inventory", default);

            var remembered = await ClientSettings.ReadAsync(directory, "inventory", default);
            var later = Read(remembered); // token --store DIR --client NAME

            Assert.Equal(given.ClientAuthentication, later.ClientAuthentication);
            Assert.Equal(signingKey, later.SigningKeyPath);
            Assert.Equal(certificate, later.ClientCertificatePath);
            Assert.Equal(certificateKey, later.ClientCertificateKeyPath);
            Assert.Equal(Authority, later.Authority);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Authentication_given_now_replaces_the_remembered_one_as_a_whole()
    {
        var remembered = new ClientSettings(Authority, "inventory-sync", "private-key-jwt", Scope: null, SigningKeyPath: JwtKey, ClientCertificatePath: Crt);

        var options = Read(remembered, "--client-auth", "post");

        Assert.Equal(ClientAuthenticationMethod.ClientSecretPost, options.ClientAuthentication);
        Assert.Null(options.SigningKeyPath);
        Assert.Null(options.ClientCertificatePath);
    }

    [Theory]
    [InlineData("--client-certificate-key is the key of --client-certificate", "--client-certificate-key", Key)]
    [InlineData("--client-auth private-key-jwt signs with the client's private key: give --signing-key PATH.", "--client-auth", "private-key-jwt")]
    [InlineData("--client-auth tls proves the client with its certificate: give --client-certificate PATH.", "--client-auth", "tls")]
    [InlineData("--client-auth self-signed-tls proves the client with its certificate: give --client-certificate PATH.", "--client-auth", "self-signed-tls")]
    [InlineData("--signing-key is the key of --client-auth private-key-jwt; --client-auth tls does not sign with it.", "--signing-key", JwtKey, "--client-auth", "tls", "--client-certificate", Crt)]
    [InlineData("--signing-key is the key of --client-auth private-key-jwt; --client-auth post does not sign with it.", "--client-auth", "post", "--signing-key", JwtKey)]
    [InlineData("--signing-key and --client-certificate were both given: say with --client-auth", "--signing-key", JwtKey, "--client-certificate", Crt)]
    [InlineData("say with --client-auth which one proves the client (private-key-jwt, tls or self-signed-tls).", "--client-certificate", Crt, "--signing-key", JwtKey)]
    [InlineData("--client-secret-stdin is for basic and post", "--signing-key", JwtKey, "--client-secret-stdin")]
    [InlineData("--signing-key needs the path of a file; ' ' is not one.", "--signing-key", " ")]
    public void A_key_or_certificate_flag_that_does_not_fit_is_a_usage_error(string message, params string[] flags)
    {
        var error = Assert.Throws<CliException>(() => Read(remembered: null, flags));

        Assert.Equal(ExitCodes.UsageError, error.ExitCode);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_path_the_system_refuses_is_the_same_usage_error_as_an_empty_one()
    {
        var path = "tls\0.crt"; // Path.GetFullPath throws ArgumentException on a NUL

        var error = Assert.Throws<CliException>(() => Read(remembered: null, "--client-certificate", path));

        Assert.Equal(ExitCodes.UsageError, error.ExitCode);
        Assert.Equal($"--client-certificate needs the path of a file; '{path}' is not one.", error.Message);
    }

    [Fact]
    public void The_library_s_option_names_are_told_as_the_tool_s_flags()
    {
        var message = ServerOptions.ToFlags(
            "OfflineBearer client 'x': ClientCertificatePath '/a' is not a PEM certificate with a matching private key in ClientCertificateKeyPath '/b', " +
            "or ClientCertificatePassword does not open the key. OfflineBearer client 'x': ClientAuthentication is SelfSignedTlsClientAuth, which needs TLS: " +
            "Authority must use https. OfflineBearer client 'x': SigningKeyPath '/c' holds a public key.");

        Assert.Equal(
            "OfflineBearer client 'x': --client-certificate '/a' is not a PEM certificate with a matching private key in --client-certificate-key '/b', " +
            $"or {CliEnvironment.ClientCertificatePasswordVariable} does not open the key. OfflineBearer client 'x': --client-auth self-signed-tls, which needs TLS: " +
            "--authority must use https. OfflineBearer client 'x': --signing-key '/c' holds a public key.",
            message);
    }

    private static void AddIf(List<string> flags, string flag, string? value)
    {
        if (value is not null)
        {
            flags.AddRange([flag, value]);
        }
    }

    /// <summary>The options a command of the tool gives the library, from its command line and what was remembered.</summary>
    private OfflineBearerOptions Read(ClientSettings? remembered, params string[] flags)
    {
        var server = new ServerOptions(
            remembered is null ? TokenRequestFlags.Resource | TokenRequestFlags.Audience | TokenRequestFlags.Grant : TokenRequestFlags.Resource | TokenRequestFlags.Audience,
            defaultScope: null,
            remembered: remembered is not null);
        var command = new RootCommand();
        server.AddTo(command);
        var parsed = command.Parse(remembered is null ? ["--authority", Authority, "--client-id", "inventory-sync", .. flags] : flags);
        Assert.Empty(parsed.Errors);
        var environment = new CliEnvironment
        {
            Out = TextWriter.Null,
            Error = TextWriter.Null,
            In = new StringReader("a-secret-on-stdin\n"),
            GetVariable = name => _variables.GetValueOrDefault(name),
            Time = new FakeTimeProvider(),
            OpenBrowser = _ => false,
        };

        return server.Read(parsed, environment, remembered);
    }
}
