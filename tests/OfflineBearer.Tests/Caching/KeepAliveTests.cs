using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.Caching;

public sealed class KeepAliveTests
{
    [Fact]
    public async Task An_idle_offline_token_is_refreshed_after_the_keep_alive_interval_without_traffic()
    {
        using var harness = new Harness(o =>
        {
            o.ClientSecret = null;
            o.RefreshToken = "offline-token-of-an-idle-sensor";
        });
        var asked = new TaskCompletionSource<RecordedRequest>();
        var healthy = harness.OnToken;
        harness.OnToken = request =>
        {
            asked.TrySetResult(request);
            return healthy(request);
        };
        await StartHostedServicesAsync(harness);

        harness.Time.Advance(TimeSpan.FromDays(7) + TimeSpan.FromHours(1));
        var request = await asked.Task;

        Assert.Equal("refresh_token", request.GrantType);
        Assert.Equal("offline-token-of-an-idle-sensor", request.Form["refresh_token"]);
        Assert.Empty(harness.ApiRequests);
    }

    [Fact]
    public async Task Nothing_is_refreshed_before_the_interval()
    {
        using var harness = new Harness(o =>
        {
            o.ClientSecret = null;
            o.RefreshToken = "offline-token-of-an-idle-sensor";
        });
        var asked = new TaskCompletionSource<DateTimeOffset>();
        var healthy = harness.OnToken;
        harness.OnToken = request =>
        {
            asked.TrySetResult(harness.Time.GetUtcNow());
            return healthy(request);
        };
        var started = harness.Time.GetUtcNow();
        await StartHostedServicesAsync(harness);

        // Hour by hour, as the timer ticks, up to the interval and no further; the keep-alive may lag behind the clock,
        // never run ahead of it. The clock then stands still until the request arrives: moving it on meanwhile would time
        // that request out (TokenRequestTimeout is on this clock) and pause the next check. Real time only as a watchdog.
        for (var hour = 0; hour < 7 * 24; hour++)
        {
            harness.Time.Advance(TimeSpan.FromHours(1));
            await Task.Delay(TimeSpan.FromMilliseconds(2), TimeProvider.System);
        }

        var refreshedAt = await asked.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(refreshedAt - started >= TimeSpan.FromDays(7), $"refreshed after {refreshedAt - started}");
    }

    [Fact]
    public async Task Null_turns_keep_alive_off()
    {
        using var harness = new Harness(o =>
        {
            o.ClientSecret = null;
            o.RefreshToken = "offline-token-of-an-idle-sensor";
            o.KeepAliveInterval = null;
        });

        await StartHostedServicesAsync(harness);
        var keepAlive = harness.Services.GetServices<IHostedService>().OfType<BackgroundService>().Single();

        // With no client to watch, the service has nothing to wait for and ends at once instead of ticking.
        await keepAlive.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30));
        harness.Time.Advance(TimeSpan.FromDays(60));
        Assert.Empty(harness.TokenRequests);
    }

    [Fact]
    public async Task A_client_credentials_client_without_a_refresh_token_is_never_kept_alive()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        await StartHostedServicesAsync(harness);

        // The timer ticks every 42 hours for a 7-day interval; each tick is given a moment to run.
        for (var day = 0; day < 30; day++)
        {
            harness.Time.Advance(TimeSpan.FromDays(1));
            await Task.Delay(TimeSpan.FromMilliseconds(5), TimeProvider.System);
        }

        Assert.Single(harness.TokenRequests);
        Assert.DoesNotContain(harness.Logs.GetSnapshot(), record => record.Id.Id == 7);
    }

    [Fact]
    public async Task Traffic_postpones_the_keep_alive()
    {
        using var harness = new Harness(o =>
        {
            o.ClientSecret = null;
            o.RefreshToken = "offline-token-of-a-busy-sensor";
            o.KeepAliveInterval = TimeSpan.FromDays(1);
        });
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromHours(12)), refreshToken: harness.IssueRefreshToken())));
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        await StartHostedServicesAsync(harness);

        // A request at 23 h refreshes the 12-hour token; the keep-alive's checks (every hour) then find the client busy.
        await AdvanceHoursAsync(harness, 23);
        (await client.GetAsync("items")).Dispose();
        await AdvanceHoursAsync(harness, 23);

        Assert.Equal(2, harness.TokenRequests.Count);

        // Exactly a day after the last token, then the clock stands still until the keep-alive's request arrives. Moving it
        // on while that request is in flight times it out (TokenRequestTimeout is on this clock), and the failure pauses
        // the next check: on a busy machine the keep-alive then never reaches the server while the clock moves.
        await AdvanceHoursAsync(harness, 1);
        var keptAlive = await WaitForAsync(() => harness.TokenRequests.Count == 3);

        Assert.True(keptAlive, "the keep-alive did not refresh a day after the last token");
        Assert.Single(harness.Logs.GetSnapshot(), record => record.Id.Id == 7);
    }

    private static async Task AdvanceHoursAsync(Harness harness, int hours)
    {
        for (var hour = 0; hour < hours; hour++)
        {
            harness.Time.Advance(TimeSpan.FromHours(1));
            await Task.Delay(TimeSpan.FromMilliseconds(5), TimeProvider.System);
        }
    }

    /// <summary>Real time only as a watchdog: the keep-alive runs on the host's thread after the fake clock moved.</summary>
    private static async Task<bool> WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System);
        }

        return condition();
    }

    private static async Task StartHostedServicesAsync(Harness harness)
    {
        foreach (var service in harness.Services.GetServices<IHostedService>())
        {
            await service.StartAsync(CancellationToken.None);
        }
    }
}
