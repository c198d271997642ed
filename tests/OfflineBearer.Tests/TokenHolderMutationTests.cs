using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Caching;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests;

/// <summary>Where mutation testing found the holder's tests silent: a request in the refresh window starts a refresh in the background, with nobody waiting for it.</summary>
public sealed class TokenHolderMutationTests
{
    [Fact]
    public async Task A_request_in_the_refresh_window_gets_the_current_token_and_starts_a_background_refresh()
    {
        using var harness = new Harness();
        var holder = harness.Services.GetRequiredService<TokenHolderRegistry>().Get(Harness.ClientName);
        var first = await holder.GetTokenAsync(CancellationToken.None);
        var secondRequest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = harness.OnToken;
        harness.OnToken = request =>
        {
            secondRequest.TrySetResult();
            return answer(request);
        };
        harness.Time.Advance(harness.Time.GetElapsedTime(harness.Time.GetTimestamp(), first.RefreshAt));

        var token = holder.GetTokenAsync(CancellationToken.None);

        Assert.True(token.IsCompletedSuccessfully);
        Assert.Same(first, await token);
        await secondRequest.Task.WaitAsync(TimeSpan.FromSeconds(30)); // a hang guard, not a measurement
        Assert.Equal(2, harness.TokenRequests.Count);
    }
}
