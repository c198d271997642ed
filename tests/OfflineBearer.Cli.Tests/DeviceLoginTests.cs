using System.Text.RegularExpressions;
using OfflineBearer.Cli.Tests.Support;
using OfflineBearer.Stores;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Cli.Tests;

/// <summary>The device authorization grant (RFC 8628): the tool polls on the fake clock while the test plays the person.</summary>
[Collection(CliServer.Name)]
public sealed partial class DeviceLoginTests(CliServerFixture fixture) : IDisposable
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(1);

    private readonly Tool _tool = new(fixture);

    [Fact]
    public async Task The_device_flow_waits_while_pending_and_keeps_the_offline_token_once_approved()
    {
        _tool.Server.Ledger.Reset();
        var approved = false;

        var run = await _tool.StepClockUntilDoneAsync(
            _tool.StartAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device", "--device")),
            Step,
            async () =>
            {
                // Approve only after the tool has been told "authorization_pending" twice.
                if (!approved && _tool.Server.Ledger.TokenRequests(grant: GrantTypes.DeviceCode) >= 2)
                {
                    await _tool.Server.ApproveDeviceAsync(UserCode());
                    approved = true;
                }

                return UserCodeShown();
            });

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal(3, _tool.Server.Ledger.TokenRequests(grant: GrantTypes.DeviceCode));
        Assert.Equal(2, _tool.Server.Ledger.FailedTokenRequests); // the two pending answers: no slow_down at the announced interval
        Assert.Contains($"open {_tool.Server.VerificationEndpoint.AbsoluteUri} and enter the code", run.Error, StringComparison.Ordinal);
        var stored = await new FileRefreshTokenStore(_tool.StoreDirectory, TokenProtection.None).GetAsync("device", default);
        Assert.NotNull(stored);
        Assert.DoesNotContain(stored, run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_denied_device_is_refused_with_exit_code_2()
    {
        var denied = false;

        var run = await _tool.StepClockUntilDoneAsync(
            _tool.StartAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device", "--device")),
            Step,
            async () =>
            {
                if (!denied && UserCodeShown())
                {
                    await _tool.Server.ApproveDeviceAsync(UserCode(), approve: false);
                    denied = true;
                }

                return denied;
            });

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.Contains("'access_denied'", run.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_tool.StoreDirectory));
    }

    [Fact]
    public async Task A_device_code_nobody_approves_expires_with_exit_code_2()
    {
        var run = await _tool.StepClockUntilDoneAsync(
            _tool.StartAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device", "--device")),
            Step,
            UserCodeShown);

        Assert.True(ExitCodes.Refused == run.ExitCode, run.Error);
        Assert.Contains("'expired_token'", run.Error, StringComparison.Ordinal);
        Assert.Contains("expired before the user approved it", run.Error, StringComparison.Ordinal);
    }

    private bool UserCodeShown() => UserCodePattern().IsMatch(_tool.ErrorSoFar());

    private string UserCode() => UserCodePattern().Match(_tool.ErrorSoFar()).Groups[1].Value;

    [GeneratedRegex("enter the code (\\S+)")]
    private static partial Regex UserCodePattern();

    public void Dispose() => _tool.Dispose();
}

/// <summary>slow_down from a server that wants slower polling than it announced.</summary>
public sealed partial class DeviceSlowDownTests(SlowDownServerFixture fixture) : IClassFixture<SlowDownServerFixture>, IDisposable
{
    private readonly Tool _tool = new(fixture.Inner);

    [Fact]
    public async Task After_slow_down_the_tool_polls_five_seconds_slower_and_gets_its_tokens()
    {
        var approved = false;

        var run = await _tool.StepClockUntilDoneAsync(
            _tool.StartAsync(_tool.Args("login", TestTokenServer.PublicClientId, "device", "--device")),
            TimeSpan.FromSeconds(1),
            async () =>
            {
                if (!approved && _tool.Server.Ledger.FailedTokenRequests >= 1)
                {
                    await _tool.Server.ApproveDeviceAsync(UserCodePattern().Match(_tool.ErrorSoFar()).Groups[1].Value);
                    approved = true;
                }

                return UserCodePattern().IsMatch(_tool.ErrorSoFar());
            });

        // Polled at 5 s (too soon for 8: slow_down), then at 5 + 5 = 10 s after that: tokens. Polling again at 5 s would
        // have met slow_down until the code expired.
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal(2, _tool.Server.Ledger.TokenRequests(grant: GrantTypes.DeviceCode));
        Assert.Equal(1, _tool.Server.Ledger.FailedTokenRequests);
    }

    [GeneratedRegex("enter the code (\\S+)")]
    private static partial Regex UserCodePattern();

    public void Dispose() => _tool.Dispose();
}
