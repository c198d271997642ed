using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace OfflineBearer.Testing.Redis;

/// <summary>
/// A real <c>redis-server</c> (Debian's package) run as a child process on a free loopback port, for the tests, the
/// benchmarks and the fleet demo: no config file, no persistence (no RDB snapshot, no append-only file), protected mode,
/// its own empty temp directory, and its last output lines kept for the error message of a failed start.
/// <see cref="KillAsync"/> and <see cref="StartAgainAsync"/> stage an outage and a restart that comes back empty on the
/// same port. Disposing it kills the process and deletes the directory, so a run leaves nothing behind. Every wait is
/// bounded and on real time: it waits for a process, not for the code under test.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    /// <summary>How many free ports a first start tries when the one it picked is taken before redis binds it.</summary>
    private const int PortAttempts = 3;

    private readonly string _executable;
    private readonly string _directory;
    private RedisProcess? _process;
    private bool _disposed;

    private RedisServer(string executable, string directory, int port)
    {
        _executable = executable;
        _directory = directory;
        Port = port;
    }

    /// <summary>The loopback TCP port the server listens on; it stays the same across <see cref="StartAgainAsync"/>.</summary>
    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for this server: <c>127.0.0.1:port</c>.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>The path of <c>redis-server</c> on <c>PATH</c>, or <see langword="null"/> when it is not installed.</summary>
    /// <returns>The executable's path, or <see langword="null"/>.</returns>
    public static string? FindExecutable() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "redis-server"))
            .FirstOrDefault(File.Exists);

    /// <summary>Starts the <c>redis-server</c> found on <c>PATH</c> on a free loopback port; returns once it answers PING.</summary>
    /// <param name="cancellationToken">Cancels the start; the process is then killed and its directory deleted.</param>
    /// <returns>The running server; dispose it to stop it.</returns>
    /// <exception cref="InvalidOperationException"><c>redis-server</c> is not on <c>PATH</c>, or it did not come up in time.</exception>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "The overloads differ in their first parameter's type; the cancellation token is optional in each, as in every async API.")]
    public static Task<RedisServer> StartAsync(CancellationToken cancellationToken = default) =>
        StartAsync(
            FindExecutable() ?? throw new InvalidOperationException(
                "redis-server is not installed: apt-get install -y redis-server (Debian's package); .ci/run installs it."),
            cancellationToken);

    /// <summary>Starts <paramref name="executable"/> on a free loopback port and returns once it answers PING.</summary>
    /// <param name="executable">The path of <c>redis-server</c>, e.g. from <see cref="FindExecutable"/>.</param>
    /// <param name="cancellationToken">Cancels the start; the process is then killed and its directory deleted.</param>
    /// <returns>The running server; dispose it to stop it.</returns>
    /// <exception cref="InvalidOperationException">It exited or did not answer PING in time; the message carries its output.</exception>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "The overloads differ in their first parameter's type; the cancellation token is optional in each, as in every async API.")]
    public static async Task<RedisServer> StartAsync(string executable, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(executable);
        for (var attempt = 1; ; attempt++)
        {
            var server = new RedisServer(executable, Directory.CreateTempSubdirectory("offlinebearer-redis-").FullName, FreePort());
            try
            {
                await server.StartProcessAsync(cancellationToken).ConfigureAwait(false);
                return server;
            }
            catch (RedisProcess.ExitedException) when (attempt < PortAttempts)
            {
                // Most likely another process took the port between FreePort and redis binding it: try another one.
                await server.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>SIGKILLs the server (no shutdown, no save) and waits until the process is gone. Does nothing if it is not running.</summary>
    /// <returns>A task that completes once the process has exited.</returns>
    /// <exception cref="InvalidOperationException">The process did not exit within 10 seconds of SIGKILL.</exception>
    public async Task KillAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await StopProcessAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Starts a new, empty server on the same port (killing the current one first if it still runs) and waits until it
    /// answers PING.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes once the new server answers PING.</returns>
    /// <exception cref="InvalidOperationException">It exited or did not answer PING in time.</exception>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await StopProcessAsync().ConfigureAwait(false);
        EmptyDirectory();
        await StartProcessAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills the server and deletes its directory. Safe to call more than once.</summary>
    /// <returns>A task that completes once the process has exited.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await StopProcessAsync().ConfigureAwait(false);
        }
        finally
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A leftover temp directory is not worth failing a test run or a demo over.
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task StartProcessAsync(CancellationToken cancellationToken) =>
        _process = await RedisProcess.StartAsync(_executable, Port, _directory, cancellationToken).ConfigureAwait(false);

    private async Task StopProcessAsync()
    {
        var running = _process;
        _process = null;
        if (running is not null)
        {
            await running.StopAsync().ConfigureAwait(false);
        }
    }

    private void EmptyDirectory()
    {
        foreach (var entry in new DirectoryInfo(_directory).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo folder)
            {
                folder.Delete(recursive: true);
            }
            else
            {
                entry.Delete();
            }
        }
    }
}
