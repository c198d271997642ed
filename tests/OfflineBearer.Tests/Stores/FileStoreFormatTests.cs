using System.Text;
using OfflineBearer.Stores;

namespace OfflineBearer.Tests.Stores;

/// <summary>
/// The refresh token file's bytes (#11): the store serializes through a source-generated JSON context now, and a file
/// written before must read back, as a file written now must read in an older version.
/// </summary>
public sealed class FileStoreFormatTests : IDisposable
{
    // What the reflection-based serializer wrote for the token a+b<é"/ (the default encoder escapes all but the slash).
    private const string WrittenBefore =
        """{"refresh_token":"a\u002Bb\u003C\u00E9\u0022/","sha256":"0a49b7bceae37538725de3b8cd0a4c4bc87e46414928eb8845d7f7edff4b08c3"}""";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "offlinebearer-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_token_is_written_byte_for_byte_as_before()
    {
        var store = new FileRefreshTokenStore(_directory, TokenProtection.None);

        await store.SetAsync("sensor", "a+b<é\"/", default);

        Assert.Equal(WrittenBefore, Encoding.UTF8.GetString(await File.ReadAllBytesAsync(Path.Combine(_directory, FileRefreshTokenStore.FileNameOf("sensor")))));
    }

    [Fact]
    public async Task A_file_written_before_reads_back()
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllTextAsync(Path.Combine(_directory, FileRefreshTokenStore.FileNameOf("sensor")), WrittenBefore);
        var store = new FileRefreshTokenStore(_directory, TokenProtection.None);

        Assert.Equal("a+b<é\"/", await store.GetAsync("sensor", default));
    }
}
