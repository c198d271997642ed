using OfflineBearer.Stores;

namespace OfflineBearer.Tests.Stores;

/// <summary>
/// What the offline-token tool does to a client's files in a file store: removes a revoked refresh token, and keeps its
/// other files (access token, remembered settings) beside it under the same safe name.
/// </summary>
public sealed class StoredTokenRemovalTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("offlinebearer-removal-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_deleted_refresh_token_is_gone_for_that_client_only()
    {
        var store = new FileRefreshTokenStore(_directory, TokenProtection.None);
        await store.SetAsync("inventory", "rt-inventory", CancellationToken.None);
        await store.SetAsync("billing", "rt-billing", CancellationToken.None);

        store.Delete("inventory");

        Assert.Null(await store.GetAsync("inventory", CancellationToken.None));
        Assert.Equal("rt-billing", await store.GetAsync("billing", CancellationToken.None));
    }

    [Fact]
    public void Deleting_what_was_never_stored_is_no_error()
    {
        var store = new FileRefreshTokenStore(_directory, TokenProtection.None);

        store.Delete("inventory");

        Assert.Empty(Directory.GetFileSystemEntries(_directory));
    }

    [Fact]
    public void A_token_file_that_cannot_be_deleted_is_reported_with_the_client_and_the_path()
    {
        var store = new FileRefreshTokenStore(_directory, TokenProtection.None);
        var path = Path.Combine(_directory, FileRefreshTokenStore.FileNameOf("inventory"));
        Directory.CreateDirectory(path);

        var error = Assert.Throws<OfflineBearerException>(() => store.Delete("inventory"));

        Assert.Equal($"The stored refresh token of OfflineBearer client 'inventory' at {path} could not be deleted.", error.Message);
    }

    [Theory]
    [InlineData("inventory", ".access-token.json", "inventory.access-token.json")]
    [InlineData("Inventory/../x", ".client.json", "_49nventory_2f.._2fx.client.json")]
    public void A_file_beside_the_token_shares_its_directory_and_safe_name(string clientName, string extension, string fileName)
    {
        var store = new FileRefreshTokenStore(_directory, TokenProtection.None);

        var path = store.PathBeside(clientName, extension);

        Assert.Equal(Path.Combine(_directory, fileName), path);
    }

    [Fact]
    public void A_relative_store_directory_gives_absolute_paths_beside_the_token()
    {
        var store = new FileRefreshTokenStore("relative-store", TokenProtection.None);

        var path = store.PathBeside("inventory", ".lock");

        Assert.Equal(Path.Combine(Path.GetFullPath("relative-store"), "inventory.lock"), path);
    }
}
