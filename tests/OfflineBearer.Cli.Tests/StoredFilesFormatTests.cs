using System.Text;

namespace OfflineBearer.Cli.Tests;

/// <summary>
/// The files the tool keeps beside a stored token (#11): they are serialized through a source-generated JSON context now,
/// and must stay byte for byte what the reflection-based serializer wrote, so older and newer tools share a store.
/// </summary>
public sealed class StoredFilesFormatTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "offline-token-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task The_client_settings_are_written_as_before()
    {
        var settings = new ClientSettings("http://127.0.0.1:5080/", "svc+é", "ClientSecretBasic", Scope: null);

        await settings.WriteAsync(_directory, "sensor", default);

        Assert.Equal(
            """{"authority":"http://127.0.0.1:5080/","client_id":"svc\u002B\u00E9","client_auth":"ClientSecretBasic","scope":null}""",
            await ReadAsync(ClientSettings.PathOf(_directory, "sensor")));
        Assert.Equal(settings, await ClientSettings.ReadAsync(_directory, "sensor", default));
    }

    [Fact]
    public async Task Client_settings_written_before_keys_and_certificates_still_read()
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllTextAsync(
            ClientSettings.PathOf(_directory, "inventory"),
            """{"authority":"http://127.0.0.1:5080/","client_id":"basic-client","client_auth":"post","scope":"offline_access api"}""");

        var settings = await ClientSettings.ReadAsync(_directory, "inventory", default);

        Assert.Equal(new ClientSettings("http://127.0.0.1:5080/", "basic-client", "post", "offline_access api"), settings);
        Assert.Null(settings!.SigningKeyPath);
        Assert.Null(settings.ClientCertificatePath);
        Assert.Null(settings.ClientCertificateKeyPath);
    }

    [Fact]
    public async Task Client_settings_with_a_key_or_certificate_add_their_paths_after_the_old_fields()
    {
        var settings = new ClientSettings(
            "https://sso.example.org/", "svc", "tls", "api", SigningKeyPath: null, ClientCertificatePath: "/run/secrets/tls.crt", ClientCertificateKeyPath: "/run/secrets/tls.key");
        var signed = new ClientSettings("https://sso.example.org/", "svc", "private-key-jwt", Scope: null, SigningKeyPath: "/run/secrets/jwt.key.pem");

        await settings.WriteAsync(_directory, "mtls", default);
        await signed.WriteAsync(_directory, "jwt", default);

        Assert.Equal(
            """{"authority":"https://sso.example.org/","client_id":"svc","client_auth":"tls","scope":"api","client_certificate_path":"/run/secrets/tls.crt","client_certificate_key_path":"/run/secrets/tls.key"}""",
            await ReadAsync(ClientSettings.PathOf(_directory, "mtls")));
        Assert.Equal(
            """{"authority":"https://sso.example.org/","client_id":"svc","client_auth":"private-key-jwt","scope":null,"signing_key_path":"/run/secrets/jwt.key.pem"}""",
            await ReadAsync(ClientSettings.PathOf(_directory, "jwt")));
        Assert.Equal(settings, await ClientSettings.ReadAsync(_directory, "mtls", default));
        Assert.Equal(signed, await ClientSettings.ReadAsync(_directory, "jwt", default));
    }

    [Fact]
    public async Task Client_settings_of_a_workload_client_add_its_files_grant_and_targets_after_the_old_fields()
    {
        var assertion = new ClientSettings(
            "https://sso.example.org/", "workload-client", "client-assertion", Scope: null, ClientAssertionPath: "/var/run/secrets/tokens/sa",
            Resource: ["https://api.example.org/", "urn:example:ledger"], Audience: "downstream-api");
        var exchange = new ClientSettings(
            "https://sso.example.org/", "svc", "post", "api", Grant: "token-exchange", SubjectTokenPath: "/run/tokens/subject",
            SubjectTokenType: "urn:ietf:params:oauth:token-type:access_token", RequestedTokenType: "urn:ietf:params:oauth:token-type:jwt");

        await assertion.WriteAsync(_directory, "workload", default);
        await exchange.WriteAsync(_directory, "exchange", default);

        Assert.Equal(
            """{"authority":"https://sso.example.org/","client_id":"workload-client","client_auth":"client-assertion","scope":null,"client_assertion_path":"/var/run/secrets/tokens/sa","resource":["https://api.example.org/","urn:example:ledger"],"audience":"downstream-api"}""",
            await ReadAsync(ClientSettings.PathOf(_directory, "workload")));
        Assert.Equal(
            """{"authority":"https://sso.example.org/","client_id":"svc","client_auth":"post","scope":"api","grant":"token-exchange","subject_token_path":"/run/tokens/subject","subject_token_type":"urn:ietf:params:oauth:token-type:access_token","requested_token_type":"urn:ietf:params:oauth:token-type:jwt"}""",
            await ReadAsync(ClientSettings.PathOf(_directory, "exchange")));
        var read = (await ClientSettings.ReadAsync(_directory, "workload", default))!;
        Assert.Equal(assertion with { Resource = null }, read with { Resource = null }); // a list compares by reference
        Assert.Equal(assertion.Resource, read.Resource);
        Assert.Equal(exchange, await ClientSettings.ReadAsync(_directory, "exchange", default));
    }

    [Fact]
    public async Task Client_settings_written_before_the_workload_grants_read_as_client_credentials_for_no_particular_api()
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllTextAsync(
            ClientSettings.PathOf(_directory, "inventory"),
            """{"authority":"http://127.0.0.1:5080/","client_id":"jwt-client","client_auth":"private-key-jwt","scope":null,"signing_key_path":"/run/secrets/jwt.key.pem"}""");

        var settings = (await ClientSettings.ReadAsync(_directory, "inventory", default))!;

        Assert.Equal("/run/secrets/jwt.key.pem", settings.SigningKeyPath);
        Assert.Null(settings.ClientAssertionPath);
        Assert.Null(settings.Grant);
        Assert.Equal(OfflineBearerGrant.ClientCredentials, GrantNames.Parse(settings.Grant));
        Assert.Null(settings.SubjectTokenPath);
        Assert.Null(settings.SubjectTokenType);
        Assert.Null(settings.RequestedTokenType);
        Assert.Null(settings.Resource);
        Assert.Null(settings.Audience);
    }

    [Fact]
    public async Task A_settings_file_whose_resources_are_not_a_list_of_strings_reads_as_none_remembered()
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllTextAsync(
            ClientSettings.PathOf(_directory, "inventory"),
            """{"authority":"http://127.0.0.1:5080/","client_id":"basic-client","client_auth":"basic","scope":null,"resource":"https://api.example.org/"}""");

        Assert.Null(await ClientSettings.ReadAsync(_directory, "inventory", default)); // edited by hand: token asks for --authority
    }

    [Fact]
    public async Task The_cached_access_token_is_written_as_before()
    {
        var path = Path.Combine(_directory, "sensor" + AccessTokenCache.Extension);
        var useUntil = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_123);

        await AccessTokenCache.WriteAsync(path, "eyJ+x<é", useUntil, default);

        Assert.Equal("""{"access_token":"eyJ\u002Bx\u003C\u00E9","use_until":1800000000123}""", await ReadAsync(path));
        Assert.Equal(("eyJ+x<é", useUntil), await AccessTokenCache.ReadAsync(path, TimeProvider.System, default));
    }

    private static async Task<string> ReadAsync(string path) => Encoding.UTF8.GetString(await File.ReadAllBytesAsync(path));
}
