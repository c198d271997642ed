using System.ComponentModel;
using System.Diagnostics;

namespace OfflineBearer.Cli;

/// <summary>
/// What a command touches outside itself: the console, the environment, the clock and the browser. The tool runs on
/// <see cref="System"/>; tests run the same commands with their own writers, a fake clock and a browser that signs in.
/// </summary>
internal sealed class CliEnvironment
{
    /// <summary>The variable the client secret is read from; the demo's name, so one secret serves both.</summary>
    public const string ClientSecretVariable = "OFFLINEBEARER_CLIENT_SECRET";

    /// <summary>
    /// The variable the password of a PKCS#12 client certificate or of an encrypted PEM key is read from; like the
    /// secret, never an argument.
    /// </summary>
    public const string ClientCertificatePasswordVariable = "OFFLINEBEARER_CLIENT_CERTIFICATE_PASSWORD";

    /// <summary>Data a script reads: an access token, JSON.</summary>
    public required TextWriter Out { get; init; }

    /// <summary>What a person reads: instructions, summaries, errors.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>Standard input: a secret with <c>--client-secret-stdin</c>, a token with <c>inspect -</c>.</summary>
    public required TextReader In { get; init; }

    public required Func<string, string?> GetVariable { get; init; }

    public required TimeProvider Time { get; init; }

    /// <summary>Opens an address in the user's browser; false where there is none.</summary>
    public required Func<Uri, bool> OpenBrowser { get; init; }

    public static CliEnvironment System { get; } = new()
    {
        Out = Console.Out,
        Error = Console.Error,
        In = Console.In,
        GetVariable = Environment.GetEnvironmentVariable,
        Time = TimeProvider.System,
        OpenBrowser = OpenSystemBrowser,
    };

    private static bool OpenSystemBrowser(Uri address)
    {
        // On Linux a browser exists only in a desktop session; a server or container has none, and xdg-open would fail.
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("DISPLAY") is null && Environment.GetEnvironmentVariable("WAYLAND_DISPLAY") is null)
        {
            return false;
        }

        try
        {
            var start = OperatingSystem.IsLinux()
                ? new ProcessStartInfo("xdg-open", [address.AbsoluteUri])
                : new ProcessStartInfo(address.AbsoluteUri) { UseShellExecute = true };
            using var process = Process.Start(start);
            return process is not null;
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            return false;
        }
    }
}
