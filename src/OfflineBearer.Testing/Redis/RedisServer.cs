using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace OfflineBearer.Testing.Redis;

/// <summary>
/// A Redis server on a free loopback port for the tests, the benchmarks and the fleet demo, of one of two kinds with one
/// contract (<see cref="Kind"/>): Debian's <c>redis-server</c> as a child process (no config file, no persistence, protected
/// mode, its own empty temp directory, its last output lines kept for the error message of a failed start), or, where it
/// is not installed, Microsoft Garnet embedded in this process (Lua scripting and pub/sub on, nothing on disk), so the
/// Redis tests need only the .NET SDK. <see cref="StartAsync(CancellationToken)"/> picks the kind (the environment
/// variable <c>OFFLINEBEARER_TEST_REDIS</c>, <c>redis-server</c> or <c>embedded</c>, else <c>redis-server</c> when it is on
/// <c>PATH</c>, else embedded). <see cref="KillAsync"/> and <see cref="StartAgainAsync"/> stage an outage (clients lose
/// their connection, the port refuses) and a restart that comes back empty on the same port. Disposing it stops the
/// server and deletes its directory, so a run leaves nothing behind. Every wait is bounded and on real time: it waits for
/// a server, not for the code under test.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    /// <summary>How many free ports a first start tries when the one it picked is taken before the server binds it.</summary>
    private const int PortAttempts = 3;

    private readonly Func<int, string?, CancellationToken, Task<IRedisRun>> _start;
    private readonly string? _directory;
    private IRedisRun? _run;
    private bool _disposed;

    private RedisServer(RedisServerKind kind, int port, string? directory, Func<int, string?, CancellationToken, Task<IRedisRun>> start)
    {
        Kind = kind;
        Port = port;
        _directory = directory;
        _start = start;
    }

    /// <summary>Which server runs: <c>redis-server</c> or the embedded Garnet; for messages, and for tests of one kind.</summary>
    public RedisServerKind Kind { get; }

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

    /// <summary>
    /// Starts the server this environment asks for on a free loopback port and returns once it answers PING: the kind the
    /// environment variable <c>OFFLINEBEARER_TEST_REDIS</c> names (<c>redis-server</c> or <c>embedded</c>); without it,
    /// the <c>redis-server</c> found on <c>PATH</c>; where there is none, the embedded Garnet.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start; what was started is then stopped and its directory deleted.</param>
    /// <returns>The running server; dispose it to stop it.</returns>
    /// <exception cref="InvalidOperationException">
    /// The variable names another kind, or <c>redis-server</c> while it is not on <c>PATH</c>; or the server did not come up in time.
    /// </exception>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "The overloads differ in their first parameter's type; the cancellation token is optional in each, as in every async API.")]
    public static Task<RedisServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var executable = FindExecutable();
        return RedisServerChoice.Choose(Environment.GetEnvironmentVariable(RedisServerChoice.Variable), executable) == RedisServerKind.Embedded
            ? StartEmbeddedAsync(cancellationToken)
            : StartAsync(executable!, cancellationToken);
    }

    /// <summary>
    /// Starts Microsoft Garnet, a Redis-compatible server, inside this process on a free loopback port, with Lua scripting
    /// (each script a transaction) and pub/sub on, nothing on disk, and no console output; returns once it answers PING.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start; a server that started is then stopped.</param>
    /// <returns>The running server; dispose it to stop it.</returns>
    /// <exception cref="InvalidOperationException">It did not start on any of the free ports it tried, or did not answer PING.</exception>
    public static Task<RedisServer> StartEmbeddedAsync(CancellationToken cancellationToken = default) =>
        StartOnFreePortAsync(
            port => new RedisServer(
                RedisServerKind.Embedded,
                port,
                directory: null,
                async (onPort, _, cancellation) => await EmbeddedGarnet.StartAsync(onPort, cancellation).ConfigureAwait(false)),
            cancellationToken);

    /// <summary>Starts <paramref name="executable"/> on a free loopback port and returns once it answers PING.</summary>
    /// <param name="executable">The path of <c>redis-server</c>, e.g. from <see cref="FindExecutable"/>.</param>
    /// <param name="cancellationToken">Cancels the start; the process is then killed and its directory deleted.</param>
    /// <returns>The running server; dispose it to stop it.</returns>
    /// <exception cref="InvalidOperationException">It exited or did not answer PING in time; the message carries its output.</exception>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "The overloads differ in their first parameter's type; the cancellation token is optional in each, as in every async API.")]
    public static Task<RedisServer> StartAsync(string executable, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(executable);
        return StartOnFreePortAsync(
            port => new RedisServer(
                RedisServerKind.RedisServer,
                port,
                Directory.CreateTempSubdirectory("offlinebearer-redis-").FullName,
                async (onPort, directory, cancellation) =>
                    await RedisProcess.StartAsync(executable, onPort, directory!, cancellation).ConfigureAwait(false)),
            cancellationToken);
    }

    /// <summary>
    /// Stops the server abruptly, an outage: <c>redis-server</c> is SIGKILLed (no shutdown, no save), the embedded Garnet
    /// is disposed; either way every client connection is closed and the port refuses connections once this completes.
    /// Does nothing if it is not running.
    /// </summary>
    /// <returns>A task that completes once the server is gone.</returns>
    /// <exception cref="InvalidOperationException">It was not gone within 10 seconds.</exception>
    public async Task KillAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await StopRunAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Starts a new, empty server of the same kind on the same port (stopping the current one first if it still runs) and
    /// waits until it answers PING. Nothing of the last run survives: no key, no loaded script.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes once the new server answers PING.</returns>
    /// <exception cref="InvalidOperationException">It exited or did not answer PING in time.</exception>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await StopRunAsync().ConfigureAwait(false);
        EmptyDirectory();
        await StartRunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the server as <see cref="KillAsync"/> does and deletes its directory. Safe to call more than once.</summary>
    /// <returns>A task that completes once the server is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await StopRunAsync().ConfigureAwait(false);
        }
        finally
        {
            try
            {
                if (_directory is not null)
                {
                    Directory.Delete(_directory, recursive: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A leftover temp directory is not worth failing a test run or a demo over.
            }
        }
    }

    private static async Task<RedisServer> StartOnFreePortAsync(Func<int, RedisServer> create, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var server = create(FreePort());
            try
            {
                await server.StartRunAsync(cancellationToken).ConfigureAwait(false);
                return server;
            }
            catch (RedisPortTakenException) when (attempt < PortAttempts)
            {
                // Most likely another process took the port between FreePort and the server binding it: try another one.
                await server.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task StartRunAsync(CancellationToken cancellationToken) =>
        _run = await _start(Port, _directory, cancellationToken).ConfigureAwait(false);

    private async Task StopRunAsync()
    {
        var running = _run;
        _run = null;
        if (running is not null)
        {
            await running.StopAsync().ConfigureAwait(false);
        }
    }

    private void EmptyDirectory()
    {
        if (_directory is null)
        {
            return;
        }

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
