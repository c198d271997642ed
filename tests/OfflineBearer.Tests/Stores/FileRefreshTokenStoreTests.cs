using System.Net;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Stores;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.Stores;

public sealed class FileRefreshTokenStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "offlinebearer-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_stored_token_reads_back_and_no_temporary_file_is_left()
    {
        var store = new FileRefreshTokenStore(_directory, TokenProtection.None);

        await store.SetAsync("inventory", "first", default);
        await store.SetAsync("inventory", "second", default);

        Assert.Equal("second", await store.GetAsync("inventory", default));
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public async Task A_client_without_a_file_has_no_token()
    {
        var store = new FileRefreshTokenStore(_directory, TokenProtection.None);

        Assert.Null(await store.GetAsync("inventory", default));
    }

    [Fact]
    public async Task Files_and_directory_are_owner_only_on_unix()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var store = new FileRefreshTokenStore(_directory, TokenProtection.None);

        await store.SetAsync("inventory", "token", default);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Directory.GetFiles(_directory).Single()));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_directory));
    }

    [Theory]
    [InlineData("{\"refresh_token\":\"abc\",\"sha256\":\"00\"}")]
    [InlineData("{\"refresh_token\":\"ab")]
    [InlineData("")]
    [InlineData("not json at all")]
    [InlineData("[]")]
    public async Task A_corrupt_or_half_written_file_is_reported_and_never_used(string content)
    {
        var store = new FileRefreshTokenStore(_directory, TokenProtection.None);
        await store.SetAsync("inventory", "good", default);
        var path = Directory.GetFiles(_directory).Single();
        await File.WriteAllTextAsync(path, content);

        var error = await Assert.ThrowsAsync<OfflineBearerException>(async () => await store.GetAsync("inventory", default));

        Assert.Contains("corrupt", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task A_file_with_invalid_utf8_is_reported_as_corrupt()
    {
        var store = new FileRefreshTokenStore(_directory, TokenProtection.None);
        await store.SetAsync("inventory", "good", default);
        var path = Directory.GetFiles(_directory).Single();
        await File.WriteAllBytesAsync(path, [.. "{\"refresh_token\":\""u8, 0xC3, 0x28, .. "\",\"sha256\":\"00\"}"u8]);

        var error = await Assert.ThrowsAsync<OfflineBearerException>(async () => await store.GetAsync("inventory", default));

        Assert.Contains("corrupt", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("inventory", "inventory.refresh-token.json")]
    [InlineData("../etc/passwd", ".._2fetc_2fpasswd.refresh-token.json")]
    [InlineData("a_b", "a_5fb.refresh-token.json")]
    [InlineData("a/b", "a_2fb.refresh-token.json")]
    [InlineData("ünï", "_c3_bcn_c3_af.refresh-token.json")]
    [InlineData("Api", "_41pi.refresh-token.json")]
    public void Client_names_become_safe_distinct_file_names(string clientName, string fileName)
    {
        Assert.Equal(fileName, FileRefreshTokenStore.FileNameOf(clientName));
    }

    [Fact]
    public async Task After_a_restart_the_rotated_offline_token_is_used_not_the_configured_one()
    {
        var configured = "offline-token-from-the-config-file";
        string rotated;
        using (var before = new Harness(o => o.RefreshToken = configured, services => services.AddOfflineBearerFileStore(_directory)))
        {
            rotated = before.IssueRefreshToken();
            before.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(before.IssueJwt(TimeSpan.FromMinutes(5)), refreshToken: rotated)));
            using var client = before.CreateClient();
            (await client.GetAsync("items")).Dispose();
        }

        using var after = new Harness(o => o.RefreshToken = configured, services => services.AddOfflineBearerFileStore(_directory));
        using var restarted = after.CreateClient();
        using var response = await restarted.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(rotated, after.TokenRequests.Single().Form["refresh_token"]);
    }

    [Fact]
    public async Task With_data_protection_the_file_holds_no_token_and_reads_back()
    {
        var store = new FileRefreshTokenStore(_directory, new TokenProtection(new EphemeralDataProtectionProvider()));

        await store.SetAsync("inventory", "offline-token-at-rest", default);

        Assert.DoesNotContain("offline-token-at-rest", await File.ReadAllTextAsync(Directory.GetFiles(_directory).Single()), StringComparison.Ordinal);
        Assert.Equal("offline-token-at-rest", await store.GetAsync("inventory", default));
    }

    [Fact]
    public async Task A_file_written_before_data_protection_was_turned_on_is_still_read()
    {
        await new FileRefreshTokenStore(_directory, TokenProtection.None).SetAsync("inventory", "plain-offline-token", default);

        var protectedStore = new FileRefreshTokenStore(_directory, new TokenProtection(new EphemeralDataProtectionProvider()));

        Assert.Equal("plain-offline-token", await protectedStore.GetAsync("inventory", default));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_protected_file_that_cannot_be_unprotected_here_is_a_clear_error_without_the_token(bool otherKeys)
    {
        await new FileRefreshTokenStore(_directory, new TokenProtection(new EphemeralDataProtectionProvider())).SetAsync("inventory", "offline-token-at-rest", default);
        var reader = new FileRefreshTokenStore(_directory, otherKeys ? new TokenProtection(new EphemeralDataProtectionProvider()) : TokenProtection.None);

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => reader.GetAsync("inventory", default).AsTask());

        Assert.Contains(otherKeys ? "cannot be unprotected" : "no IDataProtectionProvider is registered", error.Message, StringComparison.Ordinal);
        Assert.Contains("inventory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_file_store_registered_beside_data_protection_protects_what_it_writes()
    {
        using var harness = new Harness(
            o => o.RefreshToken = "offline-token-from-the-config-file",
            services => services.AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider()).AddOfflineBearerFileStore(_directory));
        var rotated = harness.IssueRefreshToken();
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)), refreshToken: rotated)));
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();

        var file = await File.ReadAllTextAsync(Directory.GetFiles(_directory).Single());
        Assert.Contains("protected_refresh_token", file, StringComparison.Ordinal);
        Assert.DoesNotContain(rotated, file, StringComparison.Ordinal);
    }
}
