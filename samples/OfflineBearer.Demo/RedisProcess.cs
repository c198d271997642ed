using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace OfflineBearer.Demo;

/// <summary>
/// Debian's <c>redis-server</c> as a child process for the fleet demo: a free loopback port, no persistence, its own
/// temp directory. Disposing it kills the process and deletes the directory, so a demo leaves nothing behind.
/// </summary>
internal sealed class RedisProcess : IAsyncDisposable
{
    /// <summary>redis-server answers PING within milliseconds; this bound only stops a broken start from hanging the demo.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly string _directory;

    private RedisProcess(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>The path of <c>redis-server</c> on PATH, or null when it is not installed.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "redis-server"))
            .FirstOrDefault(File.Exists);

    /// <summary>Starts the server and returns once it answers PING.</summary>
    /// <exception cref="InvalidOperationException">It exited or did not answer in time.</exception>
    public static async Task<RedisProcess> StartAsync(string executable, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("offlinebearer-demo-redis-").FullName;
        var port = FreePort();

        // Arguments one by one, no shell; the output is redirected only to keep redis's banner off the demo's console.
        var info = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        string[] arguments = ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory];
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"{executable} did not start.");
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }

        // Read both pipes for the life of the process, so a full pipe never blocks redis.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var redis = new RedisProcess(process, directory, port);
        try
        {
            await redis.WaitUntilReadyAsync(cancellationToken);
            return redis;
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(); // SIGKILL: nothing to save, persistence is off
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            // It had already exited (or will be reaped by the OS); the directory still goes.
        }
        finally
        {
            _process.Dispose();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover empty temp directory is not worth an error at the end of a demo.
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!await AnswersPingAsync(cancellationToken))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {_process.ExitCode} before it answered PING on port {Port}.");
            }

            if (clock.Elapsed > StartTimeout)
            {
                throw new InvalidOperationException($"redis-server did not answer PING on port {Port} within {StartTimeout.TotalSeconds} s.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }

    /// <summary>One probe, bounded to a second: connect, send an inline PING, expect +PONG.</summary>
    private async Task<bool> AnswersPingAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var answer = new byte[7];
            await stream.ReadExactlyAsync(answer, timeout.Token);
            return answer.AsSpan().SequenceEqual("+PONG\r\n"u8);
        }
        catch (Exception e) when (e is SocketException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false; // not listening yet, or this probe timed out; the caller's deadline decides
        }
    }
}
