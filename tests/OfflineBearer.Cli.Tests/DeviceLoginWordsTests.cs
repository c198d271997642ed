using System.Text.RegularExpressions;
using OfflineBearer.Cli.Tests.Support;

namespace OfflineBearer.Cli.Tests;

/// <summary>What the person at a machine without a browser is told by <c>login --device</c>: where to go, what to type, and for how long.</summary>
[Collection(CliServer.Name)]
public sealed partial class DeviceLoginWordsTests(CliServerFixture fixture) : IDisposable
{
    private readonly Tool _tool = new(fixture);

    [Fact]
    public async Task The_device_login_shows_the_address_the_code_the_prefilled_address_and_the_codes_lifetime()
    {
        var approved = false;

        var run = await _tool.StepClockUntilDoneAsync(
            _tool.StartAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device", "--device")),
            TimeSpan.FromSeconds(1),
            async () =>
            {
                var shown = UserCode().Match(_tool.ErrorSoFar());
                if (shown.Success && !approved)
                {
                    await _tool.Server.ApproveDeviceAsync(shown.Groups[1].Value);
                    approved = true;
                }

                return shown.Success;
            });

        Assert.True(run.ExitCode == 0, run.Error);
        var userCode = UserCode().Match(run.Error).Groups[1].Value;
        Assert.Contains(
            $"On a device with a browser, open {_tool.Server.VerificationEndpoint.AbsoluteUri} and enter the code {userCode}{Environment.NewLine}" +
            $"  (or open {_tool.Server.VerificationEndpoint.AbsoluteUri}?user_code=",
            run.Error,
            StringComparison.Ordinal);
        Assert.Contains($"{Environment.NewLine}Waiting for the approval (the code expires in 5 minutes)…", run.Error, StringComparison.Ordinal);
    }

    [GeneratedRegex("enter the code (\\S+)")]
    private static partial Regex UserCode();

    public void Dispose() => _tool.Dispose();
}
