using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using OfflineBearer.Cli.Tests.Support;

namespace OfflineBearer.Cli.Tests;

/// <summary>
/// Mutual TLS from the tool (#12), up to where a server is needed: a certificate file is checked by the library's
/// validation when the command starts, each problem named by the tool's flag, and its password comes only from the
/// environment. Nothing here reaches a token server (an https authority on a closed port would be the first to be asked).
/// </summary>
[Collection(CliServer.Name)]
public sealed class ClientCertificateTests(CliServerFixture fixture) : IDisposable
{
    private const string Password = "pkcs12-password-1";
    private const string ClosedHttpsAuthority = "https://127.0.0.1:1/realms/dev";

    private readonly Tool _tool = new(fixture);
    private readonly string _files = Directory.CreateTempSubdirectory("offline-token-certificates-").FullName;

    [Fact]
    public async Task A_missing_certificate_file_is_a_usage_error_naming_the_flag()
    {
        var missing = Path.Combine(_files, "no-such.crt");

        var run = await GetAsync("--client-certificate", missing);

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains($"--client-certificate '{missing}' cannot be read", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("ClientCertificatePath", run.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_tool.StoreDirectory));
    }

    [Fact]
    public async Task A_certificate_without_its_key_is_a_usage_error_naming_the_flag_and_no_key_material()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = Certificate(key);
        var alone = Write("tls.crt", certificate.ExportCertificatePem());

        var run = await GetAsync("--client-certificate", alone);

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains($"--client-certificate '{alone}' is not a PEM certificate with a matching private key", run.Error, StringComparison.Ordinal);
        Assert.Contains(CliEnvironment.ClientCertificatePasswordVariable, run.Error, StringComparison.Ordinal); // "an encrypted key needs …"
        Assert.DoesNotContain("BEGIN", run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_file_that_does_not_belong_to_the_certificate_is_a_usage_error_naming_both_flags()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = Certificate(key);
        var crt = Write("tls.crt", certificate.ExportCertificatePem());
        var wrongKey = Write("tls.key", other.ExportPkcs8PrivateKeyPem());

        var run = await GetAsync("--client-certificate", crt, "--client-certificate-key", wrongKey);

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains($"--client-certificate '{crt}'", run.Error, StringComparison.Ordinal);
        Assert.Contains($"--client-certificate-key '{wrongKey}'", run.Error, StringComparison.Ordinal);
        AssertNoLineOf(other.ExportPkcs8PrivateKeyPem(), run.All);
    }

    [Fact]
    public async Task The_pkcs12_password_comes_from_the_environment_and_is_never_printed()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = Certificate(key);
        var pfx = WriteBytes("client.p12", certificate.Export(X509ContentType.Pkcs12, Password));
        _tool.WithVariable(CliEnvironment.ClientCertificatePasswordVariable, "not-the-password");

        var wrong = await GetAsync("--client-certificate", pfx);
        _tool.WithVariable(CliEnvironment.ClientCertificatePasswordVariable, Password);
        var right = await StartAsync("http://127.0.0.1:1/realms/dev", "--client-certificate", pfx);

        Assert.Equal(ExitCodes.UsageError, wrong.ExitCode);
        Assert.Contains(
            $"--client-certificate '{pfx}' is neither PEM nor a PKCS#12 file that {CliEnvironment.ClientCertificatePasswordVariable} opens.",
            wrong.Error,
            StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", wrong.All, StringComparison.Ordinal);

        // The right password opens the file: what is left is the library's refusal of TLS over http.
        Assert.Equal(ExitCodes.UsageError, right.ExitCode);
        Assert.Contains("--client-auth tls, which needs TLS: --authority must use https.", right.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(CliEnvironment.ClientCertificatePasswordVariable, right.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, right.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_password_on_the_command_line_is_refused_without_being_repeated()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = Certificate(key);
        var pfx = WriteBytes("client.p12", certificate.Export(X509ContentType.Pkcs12, Password));

        var run = await GetAsync("--client-certificate", pfx, "--client-certificate-password", Password);

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains($"A password is never taken from the command line", run.Error, StringComparison.Ordinal);
        Assert.Contains($"set {CliEnvironment.ClientCertificatePasswordVariable}.", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, run.All, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_tool.StoreDirectory));
    }

    [Fact]
    public async Task Help_names_the_key_and_certificate_flags_and_the_password_variable_and_no_password_flag()
    {
        var run = await _tool.RunAsync("get", "--help");

        Assert.Equal(0, run.ExitCode);
        foreach (var expected in new[] { "--signing-key", "--client-certificate", "--client-certificate-key", "private-key-jwt", "self-signed-tls", CliEnvironment.ClientCertificatePasswordVariable })
        {
            Assert.Contains(expected, run.Out, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("--client-certificate-password", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("--password", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("get", "How a confidential client proves itself: basic (the secret in the Authorization header), post (in the form), " +
        "private-key-jwt (a JWT signed with --signing-key, RFC 7523), tls (--client-certificate, from a CA the server trusts, " +
        "RFC 8705), self-signed-tls (--client-certificate, one the server holds for this client) or client-assertion (the " +
        "platform's JWT of --client-assertion-file, RFC 7523). By default basic, private-key-jwt with --signing-key, tls with " +
        "--client-certificate, client-assertion with --client-assertion-file.")]
    [InlineData("get", "No secret: a public client. Only for basic and post: a key, a certificate or the platform's JWT needs no secret.")]
    [InlineData("get", "--signing-key <PATH> The client's private key for private-key-jwt: a PEM file (PKCS#8, PKCS#1 RSA or SEC1 EC, unencrypted) " +
        "or a JWK file; implies --client-auth private-key-jwt. The store remembers its path, never the key.")]
    [InlineData("get", "--client-certificate <PATH> The client certificate for mutual TLS: a PEM file (the certificate, and its key unless " +
        "--client-certificate-key names another file) or a PKCS#12 file; implies --client-auth tls (with basic, post or private-key-jwt it " +
        "is presented for certificate-bound tokens). The password of a PKCS#12 file or an encrypted key comes from " +
        $"{CliEnvironment.ClientCertificatePasswordVariable}, never from an argument. The store remembers the path, never the key or the password.")]
    [InlineData("get", "--client-certificate-key <PATH> The PEM private key of --client-certificate when it is in a file of its own (tls.key beside tls.crt).")]
    [InlineData("token", "client-assertion with --client-assertion-file. Remembered in the store by login and get with the key, certificate and JWT " +
        "file paths, which any of --client-auth, --signing-key, --client-certificate, --client-assertion-file given here replaces.")]
    [InlineData(null, "never from an argument; a client without a secret proves itself with --signing-key (private_key_jwt), " +
        $"--client-certificate (mutual TLS), whose password comes from {CliEnvironment.ClientCertificatePasswordVariable}, or " +
        "--client-assertion-file (a JWT its platform issues, such as a Kubernetes service account token). Exit codes:")]
    public async Task Help_says_what_each_key_and_certificate_flag_does_and_what_the_store_keeps(string? command, string sentence)
    {
        var run = await _tool.RunAsync(command is null ? ["--help"] : [command, "--help"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(sentence, Regex.Replace(run.Out, @"\s+", " "), StringComparison.Ordinal); // help wraps lines to the terminal
    }

    [Fact]
    public async Task A_good_certificate_passes_the_start_up_check_and_only_then_is_the_server_asked()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = Certificate(key);
        var crt = Write("tls.crt", certificate.ExportCertificatePem());
        var keyFile = Write("tls.key", key.ExportPkcs8PrivateKeyPem());

        var run = await _tool.StepClockUntilDoneAsync(GetAsync("--client-certificate", crt, "--client-certificate-key", keyFile), TimeSpan.FromSeconds(1));

        Assert.Equal(ExitCodes.ServerFailure, run.ExitCode); // nothing listens on port 1: the check let it through to discovery
        AssertNoLineOf(key.ExportPkcs8PrivateKeyPem(), run.All);
    }

    [Fact]
    public async Task A_secret_client_s_certificate_for_bound_tokens_is_checked_before_the_server_is_asked()
    {
        var missing = Path.Combine(_files, "no-such.crt");
        _tool.WithSecret("a-secret");

        // Unchecked, the run would go on to discovery on the closed port and end as a server failure.
        var run = await _tool.StepClockUntilDoneAsync(GetAsync("--client-auth", "basic", "--client-certificate", missing), TimeSpan.FromSeconds(1));

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains($"--client-certificate '{missing}' cannot be read", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_problem_with_the_certificate_is_told_at_once_one_sentence_after_the_other()
    {
        var missing = Path.Combine(_files, "no-such.crt");

        var run = await StartAsync("http://127.0.0.1:1/realms/dev", "--client-auth", "self-signed-tls", "--client-certificate", missing);

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains(
            $"--client-auth self-signed-tls, which needs TLS: --authority must use https. OfflineBearer client 'inventory': --client-certificate '{missing}' cannot be read",
            run.Error,
            StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _tool.Dispose();
        Directory.Delete(_files, recursive: true);
    }

    private static void AssertNoLineOf(string pem, string text)
    {
        foreach (var line in pem.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!line.StartsWith("-----", StringComparison.Ordinal))
            {
                Assert.DoesNotContain(line, text, StringComparison.Ordinal);
            }
        }
    }

    private X509Certificate2 Certificate(ECDsa key)
    {
        var now = _tool.Time.GetUtcNow();
        return new CertificateRequest("CN=inventory-sync", key, HashAlgorithmName.SHA256).CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
    }

    private Task<ToolRun> GetAsync(params string[] more) => StartAsync(ClosedHttpsAuthority, more);

    private Task<ToolRun> StartAsync(string authority, params string[] more) =>
        _tool.StartAsync(["get", "--authority", authority, "--client-id", "inventory-sync", "--store", _tool.StoreDirectory, "--client", "inventory", .. more]);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_files, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string WriteBytes(string name, byte[] content)
    {
        var path = Path.Combine(_files, name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
