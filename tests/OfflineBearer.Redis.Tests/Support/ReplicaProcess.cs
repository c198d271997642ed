using System.Collections.Concurrent;
using System.Diagnostics;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>
/// One replica as a real OS process (tests/OfflineBearer.Redis.TestHost), started with <c>dotnet</c> from its build
/// output beside this test project's. Its standard output is read line by line; closing its standard input ends it.
/// </summary>
internal sealed class ReplicaProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<string> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ReplicaProcess(Process process) => _process = process;

    public TaskCompletionSource Redeemed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<string> Lines { get; } = new();

    /// <summary>Calls that succeeded so far.</summary>
    public int Succeeded => Volatile.Read(ref _succeeded);

    private int _succeeded;

    /// <summary>Starts a replica of the confidential client, or of <paramref name="client"/> when given.</summary>
    public static ReplicaProcess Start(TestTokenServer server, string redis, string prefix, ReplicaClient? client = null)
    {
        client ??= new ReplicaClient(TestTokenServer.BasicClientId, TestTokenServer.BasicClientSecret);
        // Same build configuration and framework as this assembly: .../OfflineBearer.Redis.Tests/bin/Debug/net10.0/.
        var host = Path.Combine(AppContext.BaseDirectory.Replace("OfflineBearer.Redis.Tests", "OfflineBearer.Redis.TestHost", StringComparison.Ordinal), "OfflineBearer.Redis.TestHost.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in new[] { ("OFFLINEBEARER_CLIENT_SECRET", client.Secret), ("OFFLINEBEARER_REFRESH_TOKEN", client.RefreshToken), ("OFFLINEBEARER_SCOPE", client.Scope) })
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        foreach (var argument in new[] { host, server.Authority.ToString(), server.ApiUrl.ToString(), redis, prefix, client.Id })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("The replica process did not start.");
        var replica = new ReplicaProcess(process);
        process.OutputDataReceived += (_, e) => replica.Read(e.Data);
        process.ErrorDataReceived += (_, e) => replica.Lines.Enqueue("stderr: " + e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return replica;
    }

    public void Kill() => _process.Kill();

    /// <summary>Ends the replica by closing its standard input; returns its last line, <c>DONE ok=N failed=M</c>.</summary>
    public async Task<string> StopAsync(TimeSpan timeout)
    {
        _process.StandardInput.Close();
        return await _done.Task.WaitAsync(timeout);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _process.WaitForExitAsync(timeout.Token);
        _process.Dispose();
    }

    private void Read(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (line == "OK")
        {
            Interlocked.Increment(ref _succeeded);
            return;
        }

        Lines.Enqueue(line);
        if (line.StartsWith("REDEEMED", StringComparison.Ordinal))
        {
            Redeemed.TrySetResult();
        }
        else if (line.StartsWith("DONE", StringComparison.Ordinal))
        {
            _done.TrySetResult(line);
        }
    }
}

/// <summary>
/// How a replica process authenticates: its client id, secret (null: a public client), a configured offline token, and a
/// scope that replaces the host's default ("offline_access api"; empty: none).
/// </summary>
internal sealed record ReplicaClient(string Id, string? Secret, string? RefreshToken = null, string? Scope = null);
