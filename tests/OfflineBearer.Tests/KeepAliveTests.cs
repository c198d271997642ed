using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests;

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

        // Hour by hour, as the timer ticks; the keep-alive may lag behind the clock, never run ahead of it.
        await harness.AdvanceUntilDoneAsync(asked.Task, TimeSpan.FromHours(1), TimeSpan.FromDays(8));

        Assert.True(await asked.Task - started >= TimeSpan.FromDays(7), $"refreshed after {await asked.Task - started}");
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

    private static async Task StartHostedServicesAsync(Harness harness)
    {
        foreach (var service in harness.Services.GetServices<IHostedService>())
        {
            await service.StartAsync(CancellationToken.None);
        }
    }
}
