using OfflineBearer.Stores;

namespace OfflineBearer.Tests.Stores;

/// <summary>What the file store says when its files cannot be used: which client, which path, and what to do.</summary>
public sealed class StoredTokenFailureTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("offlinebearer-failures-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_token_file_that_cannot_be_read_names_the_client_and_the_path()
    {
        var store = new FileRefreshTokenStore(_directory, TokenProtection.None);
        var path = Path.Combine(_directory, FileRefreshTokenStore.FileNameOf("inventory"));
        Directory.CreateDirectory(path);

        var error = await Assert.ThrowsAsync<OfflineBearerException>(async () => await store.GetAsync("inventory", CancellationToken.None));

        Assert.StartsWith($"OfflineBearer client 'inventory' could not read its stored refresh token at {path}: ", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.InnerException);
    }

    [Fact]
    public async Task A_store_directory_that_cannot_be_written_names_the_client_and_the_path()
    {
        var notADirectory = Path.Combine(_directory, "a-file");
        await File.WriteAllTextAsync(notADirectory, "x");
        var store = new FileRefreshTokenStore(notADirectory, TokenProtection.None);

        var error = await Assert.ThrowsAsync<OfflineBearerException>(async () => await store.SetAsync("inventory", "rt", CancellationToken.None));

        Assert.StartsWith(
            $"OfflineBearer client 'inventory' could not store its new refresh token at {Path.Combine(notADirectory, "inventory.refresh-token.json")}: ",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_corrupt_token_file_says_what_to_do()
    {
        var store = new FileRefreshTokenStore(_directory, TokenProtection.None);
        var path = Path.Combine(_directory, FileRefreshTokenStore.FileNameOf("inventory"));
        await File.WriteAllTextAsync(path, "{");

        var error = await Assert.ThrowsAsync<OfflineBearerException>(async () => await store.GetAsync("inventory", CancellationToken.None));

        Assert.Equal(
            $"The stored refresh token of OfflineBearer client 'inventory' at {path} is corrupt or half-written. " +
            "It was not used: restore the file from a backup, or delete it to start over with the configured credentials.",
            error.Message);
    }

    [Theory]
    [InlineData("0", "0.refresh-token.json")]
    [InlineData("9", "9.refresh-token.json")]
    [InlineData("a", "a.refresh-token.json")]
    [InlineData("z", "z.refresh-token.json")]
    [InlineData("/", "_2f.refresh-token.json")]
    [InlineData(":", "_3a.refresh-token.json")]
    [InlineData("`", "_60.refresh-token.json")]
    [InlineData("{", "_7b.refresh-token.json")]
    public void Digits_and_lower_case_letters_stay_in_a_file_name_and_their_neighbours_are_escaped(string clientName, string fileName)
    {
        Assert.Equal(fileName, FileRefreshTokenStore.FileNameOf(clientName));
    }
}
