using System.Diagnostics;
using System.Globalization;

namespace OfflineBearer.Testing.Redis;

/// <summary>
/// One run of <c>redis-server</c> for a <see cref="RedisServer"/> or a node of a <see cref="RedisCluster"/>: started with
/// its arguments one by one (no shell, no config file, no persistence), ready once it answers PING, and SIGKILLed and
/// reaped by <see cref="StopAsync"/>.
/// </summary>
internal sealed class RedisProcess : IRedisRun
{
    /// <summary>How long a start may take before it fails: the server answers PING in milliseconds on a healthy machine.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a killed server may take to be reaped.</summary>
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(50);

    private readonly Process _process;
    private readonly int _port;
    private readonly RedisOutput _output;

    private RedisProcess(Process process, int port, RedisOutput output)
    {
        _process = process;
        _port = port;
        _output = output;
    }

    /// <summary>Starts the server and returns once it answers PING; on any failure the process is killed first.</summary>
    /// <exception cref="RedisPortTakenException">It exited before it answered (typically: its port was taken).</exception>
    /// <exception cref="InvalidOperationException">It did not start, or did not answer PING in time.</exception>
    /// <param name="executable">The path of <c>redis-server</c>.</param>
    /// <param name="port">The loopback port it listens on.</param>
    /// <param name="directory">Its working directory (and <c>--dir</c>).</param>
    /// <param name="cancellationToken">Cancels the start; the process is then killed.</param>
    /// <param name="more">Arguments after the standard ones, e.g. a cluster node's; none for a <see cref="RedisServer"/>.</param>
    public static async Task<RedisProcess> StartAsync(
        string executable, int port, string directory, CancellationToken cancellationToken, IReadOnlyList<string>? more = null)
    {
        // The output is redirected to keep redis's banner off the console, and kept for the message of a failed start.
        var info = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        string[] arguments =
        [
            "--port", port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", string.Empty,
            "--appendonly", "no",
            "--protected-mode", "yes",
            "--daemonize", "no",
            "--dir", directory,
        ];
        foreach (var argument in arguments.Concat(more ?? []))
        {
            info.ArgumentList.Add(argument);
        }

        var output = new RedisOutput();
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => output.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => output.Keep(e.Data);
        try
        {
            if (!process.Start())
            {
                throw new InvalidOperationException($"Could not start {executable}.");
            }
        }
        catch
        {
            process.Dispose();
            throw;
        }

        // Drain both pipes for the life of the process so a chatty server never blocks on a full pipe.
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var started = new RedisProcess(process, port, output);
        try
        {
            await started.WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
            return started;
        }
        catch
        {
            await started.StopAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>SIGKILLs the server (no shutdown, no save), waits until the process is gone and releases it.</summary>
    /// <exception cref="InvalidOperationException">The process did not exit within <see cref="ExitTimeout"/>.</exception>
    public async Task StopAsync()
    {
        using (_process)
        {
            try
            {
                _process.Kill(); // SIGKILL on Unix: nothing to save, persistence is off
            }
            catch (InvalidOperationException)
            {
                // It had already exited.
            }

            using var timeout = new CancellationTokenSource(ExitTimeout);
            try
            {
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new InvalidOperationException(
                    $"redis-server (pid {_process.Id}) on port {_port} did not exit within {ExitTimeout.TotalSeconds} s of SIGKILL.");
            }
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                await RedisOutput.FlushAsync(_process).ConfigureAwait(false);
                throw new RedisPortTakenException(
                    $"redis-server on port {_port} exited with code {_process.ExitCode} before it answered PING. Its output:{Environment.NewLine}{_output}");
            }

            if (await RedisPing.AnswersAsync(_port, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            if (clock.Elapsed > StartTimeout)
            {
                throw new InvalidOperationException(
                    $"redis-server on port {_port} did not answer PING within {StartTimeout.TotalSeconds} s. Its output:{Environment.NewLine}{_output}");
            }

            await Task.Delay(ProbeInterval, cancellationToken).ConfigureAwait(false);
        }
    }
}
