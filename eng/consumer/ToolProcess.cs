using System.Diagnostics;

namespace OfflineBearer.PackageConsumer;

/// <summary>Runs the installed <c>offline-token</c> as a shell script would: arguments, the secret in its environment variable, no input.</summary>
internal sealed class ToolProcess(string path, CancellationToken cancellationToken)
{
    private const string SecretVariable = "OFFLINEBEARER_CLIENT_SECRET";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public async Task<ToolRun> RunAsync(string[] args, string? secret = null)
    {
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove(SecretVariable);
        if (secret is not null)
        {
            start.Environment[SecretVariable] = secret;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{path} did not start");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).WaitAsync(Timeout, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // Our own child: a hung tool must not outlive the check.
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"offline-token {string.Join(' ', args)} did not exit within {Timeout.TotalSeconds} s", e);
        }

        return new ToolRun(process.ExitCode, await output, await error);
    }
}

/// <summary>What one run of the tool did.</summary>
internal sealed record ToolRun(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit code {ExitCode}; stdout: {Out.Trim()}; stderr: {Error.Trim()}";
}
