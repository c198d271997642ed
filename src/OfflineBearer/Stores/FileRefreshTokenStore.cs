using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace OfflineBearer.Stores;

/// <summary>
/// One file per client in a directory. A write goes to a temporary file that is flushed to disk and then renamed over
/// the old one, so a crash leaves either the old token or the new one, never half of one. Files and the directory are
/// owner-only on Unix. A file that does not parse or whose checksum does not match is reported, never used. With Data
/// Protection registered the token is written protected; a file written before that is still read.
/// </summary>
internal sealed class FileRefreshTokenStore : IRefreshTokenStore, IDPoPKeyStore, ITokenFiles
{
    private const string Extension = ".refresh-token.json";

    private readonly string _directory;
    private readonly TokenProtection _protection;

    public FileRefreshTokenStore(string directory, TokenProtection protection)
    {
        _directory = Path.GetFullPath(directory);
        _protection = protection;
    }

    public ValueTask<string?> GetAsync(string clientName, CancellationToken cancellationToken) =>
        ReadAsync(clientName, PathOf(clientName), RefreshTokenField, "refresh token", "with the configured credentials", cancellationToken);

    public ValueTask SetAsync(string clientName, string refreshToken, CancellationToken cancellationToken) =>
        WriteAsync(clientName, PathOf(clientName), RefreshTokenField, refreshToken, "new refresh token", cancellationToken);

    /// <summary>
    /// The client's DPoP key (RFC 9449) as a PKCS#8 PEM, kept beside its refresh token because a server may bind the
    /// refresh token to it (as it must for a public client): a new key after a restart would make the token useless.
    /// </summary>
    public ValueTask<string?> GetDPoPKeyAsync(string clientName, CancellationToken cancellationToken) =>
        ReadAsync(clientName, PathBeside(clientName, DPoPKeyExtension), DPoPKeyField, "DPoP key",
            "with a new key (a refresh token bound to the old one is then refused)", cancellationToken);

    /// <inheritdoc cref="GetDPoPKeyAsync"/>
    public ValueTask SetDPoPKeyAsync(string clientName, string keyPem, CancellationToken cancellationToken) =>
        WriteAsync(clientName, PathBeside(clientName, DPoPKeyExtension), DPoPKeyField, keyPem, "new DPoP key", cancellationToken);

    private async ValueTask<string?> ReadAsync(string clientName, string path, string field, string what, string startOver, CancellationToken cancellationToken)
    {
        byte[] content;
        try
        {
            content = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OfflineBearerException($"OfflineBearer client '{clientName}' could not read its stored {what} at {path}: {e.Message}", e);
        }

        var (value, isProtected) = Parse(content, field) ?? throw new OfflineBearerException(
            $"The stored {what} of OfflineBearer client '{clientName}' at {path} is corrupt or half-written. " +
            $"It was not used: restore the file from a backup, or delete it to start over {startOver}.");
        return isProtected ? _protection.Unprotect(value, $"for OfflineBearer client '{clientName}' at {path}") : value;
    }

    private async ValueTask WriteAsync(string clientName, string path, string field, string value, string what, CancellationToken cancellationToken)
    {
        try
        {
            await OwnerOnlyFile.WriteAsync(path, Serialize(value, field, _protection), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OfflineBearerException($"OfflineBearer client '{clientName}' could not store its {what} at {path}: {e.Message}", e);
        }
    }

    /// <summary>Forgets the client's refresh token (after it was revoked).</summary>
    /// <param name="clientName">The client.</param>
    public void Delete(string clientName)
    {
        var path = PathOf(clientName);
        if (!OwnerOnlyFile.TryDelete(path))
        {
            throw new OfflineBearerException($"The stored refresh token of OfflineBearer client '{clientName}' at {path} could not be deleted.");
        }
    }

    /// <summary>The path of a file beside the client's refresh token, for what else a tool keeps of the client.</summary>
    public string PathBeside(string clientName, string extension) =>
        Path.Combine(_directory, FileNameOf(clientName)[..^Extension.Length] + extension);

    /// <summary>
    /// Lower-case ASCII letters, digits, '-' and '.' stay; every other character becomes '_' and its UTF-8 bytes in hex,
    /// so that two client names never share a file and no name can climb out of the directory.
    /// </summary>
    internal static string FileNameOf(string clientName)
    {
        var name = new StringBuilder();
        Span<byte> bytes = stackalloc byte[4];
        foreach (var rune in clientName.EnumerateRunes())
        {
            // Upper case is escaped too, so "Api" and "api" stay apart on case-insensitive file systems.
            if (rune.Value is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.')
            {
                name.Append((char)rune.Value);
                continue;
            }

            var length = rune.EncodeToUtf8(bytes);
            foreach (var b in bytes[..length])
            {
                name.Append('_').Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return name.Append(Extension).ToString();
    }

    private string PathOf(string clientName) => Path.Combine(_directory, FileNameOf(clientName));

    private const string RefreshTokenField = "refresh_token";
    private const string DPoPKeyField = "dpop_key";
    private const string DPoPKeyExtension = ".dpop-key.json";

    /// <summary>The value under <paramref name="field"/>, or under <c>protected_</c><paramref name="field"/> when protected.</summary>
    private static byte[] Serialize(string value, string field, TokenProtection protection)
    {
        var stored = protection.Protect(value);
        return JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            [protection.IsOn ? "protected_" + field : field] = stored,
            ["sha256"] = Checksum(stored),
        }, FileStoreJsonContext.Default.DictionaryStringString);
    }

    /// <summary>The stored value and whether it is protected, or null when the file is corrupt.</summary>
    private static (string Value, bool IsProtected)? Parse(byte[] content, string field)
    {
        try
        {
            using var document = JsonDocument.Parse(content);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var isProtected = root.TryGetProperty("protected_" + field, out var token);
            if ((isProtected || root.TryGetProperty(field, out token)) && token.ValueKind == JsonValueKind.String
                && root.TryGetProperty("sha256", out var checksum) && checksum.ValueKind == JsonValueKind.String
                && token.GetString() is { Length: > 0 } value
                && checksum.GetString() == Checksum(value))
            {
                return (value, isProtected);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON, or a string that is not valid UTF-8: corrupt either way.
        }

        return null;
    }

    private static string Checksum(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
