using OfflineBearer.Stores;

namespace OfflineBearer.Tests.Stores;

/// <summary>
/// The atomic owner-only write that the file store and the offline-token tool share for every file holding a token:
/// a crash leaves the old content or the new, no temporary copy of a token lingers, and only the owner can read it.
/// </summary>
public sealed class OwnerOnlyFileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("owner-only-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_write_creates_the_directory_and_replaces_the_old_content_whole()
    {
        var path = Path.Combine(_root, "tokens", "inventory.json");

        await OwnerOnlyFile.WriteAsync(path, "first, longer content"u8.ToArray(), CancellationToken.None);
        await OwnerOnlyFile.WriteAsync(path, "second"u8.ToArray(), CancellationToken.None);

        Assert.Equal("second", await File.ReadAllTextAsync(path));
        Assert.Equal(["inventory.json"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task On_unix_the_new_directory_and_the_file_are_the_owners_alone()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = Path.Combine(_root, "tokens", "inventory.json");

        await OwnerOnlyFile.WriteAsync(path, "t"u8.ToArray(), CancellationToken.None);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public async Task A_write_that_cannot_be_completed_leaves_no_temporary_copy_of_the_token()
    {
        var path = Path.Combine(_root, "inventory.json");
        Directory.CreateDirectory(path); // the rename over it fails

        await Assert.ThrowsAnyAsync<IOException>(() => OwnerOnlyFile.WriteAsync(path, "token-content"u8.ToArray(), CancellationToken.None));

        Assert.Empty(Directory.GetFiles(_root));
    }

    [Fact]
    public async Task A_cancelled_write_leaves_no_temporary_copy_and_the_old_content()
    {
        var path = Path.Combine(_root, "inventory.json");
        await File.WriteAllTextAsync(path, "old");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => OwnerOnlyFile.WriteAsync(path, "new"u8.ToArray(), new CancellationToken(canceled: true)));

        Assert.Equal("old", await File.ReadAllTextAsync(path));
        Assert.Equal([path], Directory.GetFiles(_root));
    }

    [Fact]
    public void Deleting_a_file_that_is_there_or_not_succeeds()
    {
        var path = Path.Combine(_root, "inventory.json");
        File.WriteAllText(path, "t");

        Assert.True(OwnerOnlyFile.TryDelete(path));
        Assert.False(File.Exists(path));
        Assert.True(OwnerOnlyFile.TryDelete(path));
    }

    [Fact]
    public void A_file_that_cannot_be_deleted_is_reported_not_thrown()
    {
        var path = Path.Combine(_root, "inventory.json");
        Directory.CreateDirectory(path);

        Assert.False(OwnerOnlyFile.TryDelete(path));
        Assert.True(Directory.Exists(path));
    }
}
