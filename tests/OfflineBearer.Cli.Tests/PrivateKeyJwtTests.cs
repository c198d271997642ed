using System.Security.Cryptography;
using System.Text.Json;
using OfflineBearer.Cli.Tests.Support;
using OfflineBearer.Stores;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Cli.Tests;

/// <summary>
/// A service account without a secret (#12): <c>--signing-key</c> proves the development server's private_key_jwt client
/// with its key, and the store remembers the key's path, so <c>token</c> and <c>revoke</c> need only the store.
/// </summary>
[Collection(CliServer.Name)]
public sealed class PrivateKeyJwtTests(CliServerFixture fixture) : IDisposable
{

    private readonly Tool _tool = new(fixture);
    private readonly string _keys = Directory.CreateTempSubdirectory("offline-token-keys-").FullName;

    [Fact]
    public async Task Get_with_a_signing_key_stores_an_offline_token_without_any_secret()
    {
        var key = WriteKey("jwt-client.key.pem", _tool.Server.SignedJwtClientKeyPem!);
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.SignedJwtClientId, "inventory", "--scope", TestTokenServer.OfflineScope, "--signing-key", key));

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("refresh token: stored for client 'inventory' in the file store", run.Error, StringComparison.Ordinal);
        Assert.Equal(1, _tool.Server.Ledger.TokenRequests(grant: GrantTypes.ClientCredentials));
        Assert.NotNull(await ReadStoreAsync());
        AssertNoKeyMaterial(run.All);
    }

    [Fact]
    public async Task Token_after_get_refreshes_with_the_remembered_key_path_and_only_the_store_given()
    {
        await GetAsync();
        var before = await ReadStoreAsync();
        _tool.Time.Advance(TimeSpan.FromSeconds(10));
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync("token", "--store", _tool.StoreDirectory, "--client", "inventory");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Matches("^eyJ[A-Za-z0-9_.-]+\r?\n$", run.Out);
        Assert.Equal(1, _tool.Server.Ledger.TokenRequests(grant: GrantTypes.RefreshToken));
        Assert.Equal(1, _tool.Server.Ledger.TokenRequests());
        Assert.Equal(0, _tool.Server.Ledger.FailedTokenRequests);
        Assert.NotEqual(before, await ReadStoreAsync()); // rotated and kept
    }

    [Fact]
    public async Task Revoke_after_get_authenticates_with_the_remembered_key_and_empties_the_store()
    {
        await GetAsync();

        var run = await _tool.RunAsync("revoke", "--store", _tool.StoreDirectory, "--client", "inventory");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("Revoked the refresh token of client 'inventory'", run.Error, StringComparison.Ordinal);
        Assert.Null(await ReadStoreAsync());
        Assert.Empty(Directory.GetFiles(_tool.StoreDirectory, "*.json"));
    }

    [Fact]
    public async Task The_settings_file_remembers_the_method_and_the_key_path_but_no_key_material()
    {
        var key = await GetAsync();

        var text = await File.ReadAllTextAsync(ClientSettings.PathOf(_tool.StoreDirectory, "inventory"));

        using var json = JsonDocument.Parse(text);
        Assert.Equal("private-key-jwt", json.RootElement.GetProperty("client_auth").GetString());
        Assert.Equal(key, json.RootElement.GetProperty("signing_key_path").GetString());
        Assert.Equal(TestTokenServer.SignedJwtClientId, json.RootElement.GetProperty("client_id").GetString());
        Assert.False(json.RootElement.TryGetProperty("client_certificate_path", out _));
        Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
        AssertNoKeyMaterial(text);
    }

    [Fact]
    public async Task A_secret_left_in_the_environment_is_not_sent_with_a_signing_key()
    {
        _tool.WithSecret("a-secret-for-another-client");
        var key = WriteKey("jwt-client.key.pem", _tool.Server.SignedJwtClientKeyPem!);

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.SignedJwtClientId, "inventory", "--scope", TestTokenServer.OfflineScope, "--signing-key", key));

        Assert.True(run.ExitCode == 0, run.Error);
    }

    [Fact]
    public async Task A_key_the_server_does_not_know_is_refused_with_exit_code_2()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = WriteKey("other.key.pem", other.ExportPkcs8PrivateKeyPem());

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.SignedJwtClientId, "inventory", "--scope", TestTokenServer.OfflineScope, "--signing-key", key));

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.Contains("'invalid_client'", run.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_tool.StoreDirectory));
    }

    [Theory]
    [InlineData("missing", "cannot be read (FileNotFoundException).")]
    [InlineData("public", "holds a public key")]
    [InlineData("damaged", "holds a PEM private key that is neither RSA nor EC (P-256, P-384, P-521), or it is damaged.")]
    [InlineData("empty", "holds no PEM private key")]
    public async Task An_unusable_key_file_is_a_usage_error_naming_the_flag_before_the_server_is_asked(string kind, string problem)
    {
        using var made = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = kind switch
        {
            "missing" => Path.Combine(_keys, "no-such.key.pem"),
            "public" => WriteKey("public.pem", made.ExportSubjectPublicKeyInfoPem()),
            "damaged" => WriteKey("damaged.pem", Damage(made.ExportPkcs8PrivateKeyPem())),
            _ => WriteKey("empty.pem", string.Empty),
        };
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.SignedJwtClientId, "inventory", "--signing-key", key, "--json"));

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains($"--signing-key '{key}' {problem}", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("SigningKeyPath", run.Error, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(ExitCodes.UsageError, json.RootElement.GetProperty("error").GetProperty("exit_code").GetInt32());
        Assert.Equal(0, _tool.Server.Ledger.TokenRequests());
        Assert.Empty(Directory.GetFiles(_tool.StoreDirectory));
        AssertNoKeyMaterial(run.All, File.Exists(key) ? await File.ReadAllTextAsync(key) : null);
    }

    [Fact]
    public async Task Token_with_a_remembered_key_that_has_gone_is_a_usage_error_naming_the_flag()
    {
        var key = await GetAsync();
        File.Delete(key);
        _tool.Time.Advance(TimeSpan.FromSeconds(10));

        var run = await _tool.RunAsync("token", "--store", _tool.StoreDirectory, "--client", "inventory");

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains($"--signing-key '{key}' cannot be read", run.Error, StringComparison.Ordinal);
        Assert.NotNull(await ReadStoreAsync()); // the offline token is kept for when the key is back
    }

    [Fact]
    public async Task Get_without_a_secret_says_that_a_signing_key_or_a_certificate_would_do()
    {
        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.SignedJwtClientId, "inventory"));

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("(or prove the client with --signing-key, --client-certificate or --client-assertion-file).", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_redis_an_unusable_key_is_still_a_usage_error_naming_the_flag()
    {
        // The refused session is disposed with the Redis store in it, which only disposes asynchronously; a synchronous
        // dispose threw over the refusal and the user saw a stack trace instead of the flag. Nothing listens on port 1:
        // the store connects only when used, and a refused key never gets that far.
        var missing = Path.Combine(_keys, "no-such.key.pem");

        var run = await _tool.RunAsync(
            "get", "--authority", _tool.Authority, "--client-id", TestTokenServer.SignedJwtClientId, "--redis", "127.0.0.1:1", "--client", "inventory", "--signing-key", missing);

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains($"--signing-key '{missing}' cannot be read", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_with_settings_that_lost_the_key_path_is_a_usage_error_naming_the_flags()
    {
        await GetAsync();
        var remembered = (await ClientSettings.ReadAsync(_tool.StoreDirectory, "inventory", default))!;
        await (remembered with { SigningKeyPath = null }).WriteAsync(_tool.StoreDirectory, "inventory", default); // edited by hand
        _tool.Time.Advance(TimeSpan.FromSeconds(10));
        _tool.Server.Ledger.Reset();

        var run = await _tool.RunAsync("token", "--store", _tool.StoreDirectory, "--client", "inventory");

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("--client-auth private-key-jwt: set --signing-key", run.Error, StringComparison.Ordinal);
        Assert.Equal(0, _tool.Server.Ledger.TokenRequests());
    }

    public void Dispose()
    {
        _tool.Dispose();
        Directory.Delete(_keys, recursive: true);
    }

    /// <summary>A PEM private key whose body is cut short: still PEM, no longer a key.</summary>
    private static string Damage(string pem)
    {
        var lines = pem.Split('\n');
        return string.Join('\n', lines[0], lines[1][..20], lines[^1]);
    }

    /// <summary>No line of the server's key, nor of <paramref name="pem"/>, is in <paramref name="text"/>.</summary>
    private void AssertNoKeyMaterial(string text, string? pem = null)
    {
        foreach (var line in (_tool.Server.SignedJwtClientKeyPem! + "\n" + pem).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!line.StartsWith("-----", StringComparison.Ordinal))
            {
                Assert.DoesNotContain(line, text, StringComparison.Ordinal);
            }
        }
    }

    private async Task<string> GetAsync()
    {
        var key = WriteKey("jwt-client.key.pem", _tool.Server.SignedJwtClientKeyPem!);
        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.SignedJwtClientId, "inventory", "--scope", TestTokenServer.OfflineScope, "--signing-key", key));
        Assert.True(run.ExitCode == 0, run.Error);
        return key;
    }

    private string WriteKey(string name, string pem)
    {
        var path = Path.Combine(_keys, name);
        File.WriteAllText(path, pem);
        return path;
    }

    private Task<string?> ReadStoreAsync() => new FileRefreshTokenStore(_tool.StoreDirectory, TokenProtection.None).GetAsync("inventory", default).AsTask();
}
