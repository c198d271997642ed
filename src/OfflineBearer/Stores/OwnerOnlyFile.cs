namespace OfflineBearer.Stores;

/// <summary>
/// Writes a file that holds a token: to a temporary file that is flushed to disk and then renamed over the old one, so
/// a crash leaves the old content or the new, never half of one; file and directory owner-only on Unix.
/// </summary>
internal static class OwnerOnlyFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerOnly | UnixFileMode.UserExecute;

    /// <exception cref="IOException">The directory or file could not be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory or file is not ours to write.</exception>
    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(path)!;
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, OwnerOnlyDirectory);
            }

            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnly;
            }

            var stream = new FileStream(temporary, options);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            // After a successful rename there is nothing left to delete; after any failure the token must not linger.
            TryDelete(temporary);
        }
    }

    /// <summary>Deletes the file if it is there; false when it could not be deleted.</summary>
    public static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
