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
