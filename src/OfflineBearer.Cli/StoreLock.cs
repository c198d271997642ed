namespace OfflineBearer.Cli;

/// <summary>
/// One <c>offline-token</c> at a time refreshes a client of a file store: two scripts that both redeemed the same
/// rotating refresh token would end the session on the server. An exclusive lock on a file beside the token, which
/// the operating system releases when the process ends, however it ends.
/// </summary>
internal sealed class StoreLock : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Longest = TimeSpan.FromMinutes(2);

    private readonly FileStream _file;

    private StoreLock(FileStream file) => _file = file;

    public static async Task<StoreLock> AcquireAsync(string path, string clientName, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            try
            {
                return new StoreLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (time.GetElapsedTime(started) < Longest)
            {
                await Task.Delay(Poll, time, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new CliException(
                    ExitCodes.ServerFailure,
                    $"Another offline-token has held the token of client '{clientName}' for {Longest.TotalMinutes} minutes ({e.Message}); try again.");
            }
        }
    }

    public void Dispose() => _file.Dispose();
}
