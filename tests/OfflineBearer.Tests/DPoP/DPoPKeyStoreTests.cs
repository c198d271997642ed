using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.DPoP;

/// <summary>
/// A DPoP key made by the library is kept in the file store beside the refresh token (#12): a server binds a public
/// client's refresh token to the key, so a new key after a restart would make the offline token useless.
/// </summary>
public sealed class DPoPKeyStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("offlinebearer-dpop-store-").FullName;

    private string KeyFile => Path.Combine(_directory, Harness.ClientName + ".dpop-key.json");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_made_key_is_stored_before_its_first_proof_and_signs_again_after_a_restart()
    {
        var keyStoredBeforeRequest = false;
        string firstKey;
        using (var before = PublicClient(services => services.AddOfflineBearerFileStore(_directory)))
        {
            before.OnToken = _ =>
            {
                keyStoredBeforeRequest = File.Exists(KeyFile);
                return Task.FromResult(Harness.Json(BoundToken(before)));
            };
            using var client = before.CreateClient();
            using var response = await client.GetAsync("items");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            firstKey = KeyOf(before.TokenRequests.Single());
        }

        using var after = PublicClient(services => services.AddOfflineBearerFileStore(_directory));
        after.OnToken = _ => Task.FromResult(Harness.Json(BoundToken(after)));
        using var restarted = after.CreateClient();
        (await restarted.GetAsync("items")).Dispose();

        Assert.True(keyStoredBeforeRequest);
        Assert.Equal(firstKey, KeyOf(after.TokenRequests.Single()));
        Assert.Equal(firstKey, KeyOf(after.ApiRequests.Single()));
        using var stored = JsonDocument.Parse(await File.ReadAllTextAsync(KeyFile));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", stored.RootElement.GetProperty("dpop_key").GetString(), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyFile));
        }
    }

    [Fact]
    public async Task With_data_protection_the_key_file_holds_no_key_and_reads_back()
    {
        var protection = new EphemeralDataProtectionProvider();
        void Services(IServiceCollection services) => services.AddSingleton<IDataProtectionProvider>(protection).AddOfflineBearerFileStore(_directory);
        string firstKey;
        using (var before = PublicClient(Services))
        {
            before.OnToken = _ => Task.FromResult(Harness.Json(BoundToken(before)));
            using var client = before.CreateClient();
            (await client.GetAsync("items")).Dispose();
            firstKey = KeyOf(before.TokenRequests.Single());
        }

        using var after = PublicClient(Services);
        after.OnToken = _ => Task.FromResult(Harness.Json(BoundToken(after)));
        using var restarted = after.CreateClient();
        (await restarted.GetAsync("items")).Dispose();

        var content = await File.ReadAllTextAsync(KeyFile);
        Assert.Contains("\"protected_dpop_key\"", content, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", content, StringComparison.Ordinal);
        Assert.Equal(firstKey, KeyOf(after.TokenRequests.Single()));
    }

    [Fact]
    public async Task A_damaged_key_file_is_reported_kept_and_no_request_leaves_with_another_key()
    {
        using var ec = System.Security.Cryptography.ECDsa.Create();
        var damaged = ec.ExportPkcs8PrivateKeyPem()[..60];
        await File.WriteAllTextAsync(KeyFile, JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["dpop_key"] = damaged,
            ["sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(damaged))),
        }));
        var before = await File.ReadAllBytesAsync(KeyFile);
        using var harness = PublicClient(services => services.AddOfflineBearerFileStore(_directory));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Contains("The stored DPoP key of OfflineBearer client 'inventory' is not an EC private key", error.Message, StringComparison.Ordinal);
        Assert.Contains("delete it to start over with a new key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(damaged[30..], error.Message, StringComparison.Ordinal);
        Assert.Empty(harness.TokenRequests);
        Assert.Equal(before, await File.ReadAllBytesAsync(KeyFile));
    }

    [Fact]
    public async Task A_half_written_key_file_is_reported_as_such_and_kept()
    {
        await File.WriteAllTextAsync(KeyFile, """{"dpop_key":"-----BEGIN PRIVATE KEY-----","sha256":"00"}""");
        using var harness = PublicClient(services => services.AddOfflineBearerFileStore(_directory));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal(
            $"The stored DPoP key of OfflineBearer client 'inventory' at {KeyFile} is corrupt or half-written. It was not used: restore " +
            "the file from a backup, or delete it to start over with a new key (a refresh token bound to the old one is then refused).",
            error.Message);
        Assert.Empty(harness.TokenRequests);
    }

    [Fact]
    public async Task A_key_that_cannot_be_stored_signs_nothing_and_the_next_request_tries_again()
    {
        var blocked = Path.Combine(_directory, "blocked");
        await File.WriteAllTextAsync(blocked, "a file where the store's directory should be");
        using var harness = PublicClient(services => services.AddOfflineBearerFileStore(blocked));
        harness.OnToken = _ => Task.FromResult(Harness.Json(BoundToken(harness)));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
        File.Delete(blocked);
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        using var response = await client.GetAsync("items");

        Assert.Contains("could not store its new DPoP key", error.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(harness.TokenRequests);
        Assert.True(File.Exists(Path.Combine(blocked, Harness.ClientName + ".dpop-key.json")));
    }

    [Fact]
    public async Task A_key_of_the_user_is_not_copied_into_the_store()
    {
        var keyPath = Path.Combine(_directory, "own.pem");
        using var ec = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        await File.WriteAllTextAsync(keyPath, ec.ExportPkcs8PrivateKeyPem());
        using var harness = PublicClient(services => services.AddOfflineBearerFileStore(_directory), o => o.DPoPKeyPath = keyPath);
        harness.OnToken = _ => Task.FromResult(Harness.Json(BoundToken(harness)));
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();

        Assert.False(File.Exists(KeyFile));
        Assert.Equal(OfflineBearer.Keys.KeyAlgorithms.Thumbprint(ec), KeyOf(harness.TokenRequests.Single()));
    }

    [Fact]
    public async Task A_refused_refresh_token_of_a_DPoP_client_names_a_lost_key_as_a_cause()
    {
        using var harness = PublicClient(_ => { });
        harness.OnToken = _ => Task.FromResult(EndpointServer.Error("invalid_grant", "DPoP proof does not match the refresh token's key"));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Contains("or it is bound to a DPoP key this client no longer has (keep the key with DPoPKeyPath or the file store)", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A public client with an offline token and DPoP, with the retries a user gets.</summary>
    private static Harness PublicClient(Action<IServiceCollection> services, Action<OfflineBearerOptions>? configure = null) => new(
        o =>
        {
            o.ClientSecret = null;
            o.RefreshToken = "offline-token";
            o.DPoP = true;
            configure?.Invoke(o);
        },
        services,
        userDefaults: true);

    private static string BoundToken(Harness harness) =>
        TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)), refreshToken: harness.IssueRefreshToken())
            .Replace("\"token_type\":\"Bearer\"", "\"token_type\":\"DPoP\"", StringComparison.Ordinal);

    /// <summary>The thumbprint of the key in a request's DPoP proof.</summary>
    private static string KeyOf(RecordedRequest request)
    {
        var proof = new JsonWebToken(request.Headers["DPoP"]);
        Assert.True(proof.TryGetHeaderValue<JsonElement>("jwk", out var jwk));
        return Base64UrlEncoder.Encode(new JsonWebKey(jwk.GetRawText()).ComputeJwkThumbprint());
    }
}
