using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>
/// A real <c>redis-server</c> (Debian's package) run as a child process on a free loopback port: no config file, no
/// persistence, its own empty temp directory. <see cref="KillAsync"/> and <see cref="StartAgainAsync"/> stage an outage
/// and a restart that comes back empty on the same port. Every wait is bounded; they are real time because they wait
/// for a process, not for the library under test.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    /// <summary>How long a start may take before it fails: the server answers PING in milliseconds on a healthy machine.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a killed server may take to be reaped.</summary>
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Bound on one readiness probe (connect, PING, read the answer).</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>How many free ports a first start tries when the one it picked is taken before redis binds it.</summary>
    private const int PortAttempts = 3;

    private const int OutputLinesKept = 50;

    private readonly string executable;
    private readonly string directory;
    private readonly Queue<string> output = new();
    private Process? process;
    private bool disposed;

    private RedisServer(string executable, string directory, int port)
    {
        this.executable = executable;
        this.directory = directory;
        Port = port;
    }

    /// <summary>The loopback TCP port the server listens on; it stays the same across <see cref="StartAgainAsync"/>.</summary>
    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for this server: <c>127.0.0.1:port</c>.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>Starts a server on a free loopback port and returns once it answers PING.</summary>
    /// <exception cref="InvalidOperationException"><c>redis-server</c> is not on PATH, or it did not come up in time.</exception>
    public static async Task<RedisServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var executable = FindExecutable();
        for (var attempt = 1; ; attempt++)
        {
            var server = new RedisServer(executable, Directory.CreateTempSubdirectory("offlinebearer-redis-").FullName, FreePort());
            try
            {
                await server.StartProcessAsync(cancellationToken);
                return server;
            }
            catch (RedisServerExitedException) when (attempt < PortAttempts)
            {
                // Most likely another process took the port between FreePort and redis binding it: try another one.
                await server.DisposeAsync();
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>SIGKILLs the server (no shutdown, no save) and waits until the process is gone. Does nothing if it is not running.</summary>
    public async Task KillAsync()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        await StopProcessAsync();
    }

    /// <summary>Starts a new, empty server on the same port (killing the current one first if it still runs) and waits until it answers PING.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        await StopProcessAsync();
        EmptyDirectory();
        await StartProcessAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        try
        {
            await StopProcessAsync();
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory is not worth failing a test run over.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private static string FindExecutable()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var folder in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "redis-server is not installed: apt-get install -y redis-server (Debian's package); .ci/run installs it.");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    private async Task StartProcessAsync(CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        foreach (var argument in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", string.Empty,
            "--appendonly", "no",
            "--protected-mode", "yes",
            "--daemonize", "no",
            "--dir", directory,
        })
        {
            info.ArgumentList.Add(argument);
        }

        lock (output)
        {
            output.Clear();
        }

        var started = new Process { StartInfo = info };
        started.OutputDataReceived += (_, e) => Keep(e.Data);
        started.ErrorDataReceived += (_, e) => Keep(e.Data);
        if (!started.Start())
        {
            started.Dispose();
            throw new InvalidOperationException($"Could not start {executable}.");
        }

        process = started;

        // Drain both pipes for the life of the process so a chatty server never blocks on a full pipe.
        started.BeginOutputReadLine();
        started.BeginErrorReadLine();

        await WaitUntilReadyAsync(started, cancellationToken);
    }

    private async Task WaitUntilReadyAsync(Process started, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (started.HasExited)
            {
                await FlushOutputAsync(started);
                throw new RedisServerExitedException(
                    $"redis-server on port {Port} exited with code {started.ExitCode} before it answered PING. Its output:{Environment.NewLine}{Output()}");
            }

            if (await AnswersPingAsync(cancellationToken))
            {
                return;
            }

            if (clock.Elapsed > StartTimeout)
            {
                throw new InvalidOperationException(
                    $"redis-server on port {Port} did not answer PING within {StartTimeout.TotalSeconds} s. Its output:{Environment.NewLine}{Output()}");
            }

            await Task.Delay(ProbeInterval, cancellationToken);
        }
    }

    /// <summary>Lets the output of a process that exited reach <see cref="output"/>, for the error message; bounded.</summary>
    private static async Task FlushOutputAsync(Process exited)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await exited.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // The message goes without the last lines.
        }
    }

    /// <summary>One bounded probe: connect, send an inline PING, expect <c>+PONG</c>.</summary>
    private async Task<bool> AnswersPingAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[64];
            var received = 0;
            while (received < 7)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(received), timeout.Token);
                if (read == 0)
                {
                    return false;
                }

                received += read;
            }

            return Encoding.ASCII.GetString(buffer, 0, received).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false; // this probe timed out; the caller's deadline decides
        }
    }

    private async Task StopProcessAsync()
    {
        var running = process;
        if (running is null)
        {
            return;
        }

        process = null;
        using (running)
        {
            try
            {
                running.Kill(); // SIGKILL on Unix
            }
            catch (InvalidOperationException)
            {
                // It had already exited.
            }

            using var timeout = new CancellationTokenSource(ExitTimeout);
            try
            {
                await running.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new InvalidOperationException(
                    $"redis-server (pid {running.Id}) on port {Port} did not exit within {ExitTimeout.TotalSeconds} s of SIGKILL.");
            }
        }
    }

    private void EmptyDirectory()
    {
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
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

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.Enqueue(line);
            while (output.Count > OutputLinesKept)
            {
                output.Dequeue();
            }
        }
    }

    private string Output()
    {
        lock (output)
        {
            return string.Join(Environment.NewLine, output);
        }
    }

    /// <summary>The server process ended during start-up (typically: its port was taken).</summary>
    private sealed class RedisServerExitedException(string message) : InvalidOperationException(message);
}
