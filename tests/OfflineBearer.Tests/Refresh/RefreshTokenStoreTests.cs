using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.Refresh;

public sealed class RefreshTokenStoreTests
{
    [Fact]
    public async Task A_stored_refresh_token_wins_over_the_configured_one()
    {
        var store = new RecordingStore();
        await store.SetAsync(Harness.ClientName, "rotated-since-configuration", default);
        using var harness = new Harness(
            o => o.RefreshToken = "configured-long-ago",
            services => services.AddSingleton<IRefreshTokenStore>(store));
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();

        Assert.Equal("rotated-since-configuration", harness.TokenRequests.Single().Form["refresh_token"]);
    }

    [Fact]
    public async Task A_new_refresh_token_is_stored_before_the_access_token_that_came_with_it_is_used()
    {
        var store = new RecordingStore();
        using var harness = new Harness(services: services => services.AddSingleton<IRefreshTokenStore>(store));
        var issued = new List<string>();
        harness.OnToken = _ =>
        {
            issued.Add(harness.IssueRefreshToken());
            return Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)), refreshToken: issued[^1])));
        };
        var storedWhenUsed = new System.Collections.Concurrent.ConcurrentQueue<string?>();
        harness.OnApi = _ =>
        {
            storedWhenUsed.Enqueue(store.Current(Harness.ClientName));
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        };
        using var client = harness.CreateClient();

        // Twenty callers at each expiry: none of them may send the new access token before its refresh token is stored.
        for (var i = 0; i < 3; i++)
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => client.GetAsync("items"))));
            foreach (var response in responses)
            {
                response.Dispose();
            }

            harness.Time.Advance(TimeSpan.FromMinutes(5));
        }

        Assert.Equal<string?>(issued.SelectMany(token => Enumerable.Repeat(token, 20)), storedWhenUsed);
        Assert.Equal(issued, store.Writes);
    }

    [Fact]
    public async Task When_storing_fails_the_request_fails_and_the_new_token_is_stored_and_used_on_the_next_attempt()
    {
        var store = new RecordingStore();
        await store.SetAsync(Harness.ClientName, "old-offline-token", default);
        using var harness = new Harness(services: services => services.AddSingleton<IRefreshTokenStore>(store));
        var rotated = harness.IssueRefreshToken();
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)), refreshToken: rotated)));
        using var client = harness.CreateClient();
        store.FailWrites = true;

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
        store.FailWrites = false;
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        using var response = await client.GetAsync("items");

        Assert.Contains("could not store it (IOException). It is kept in memory and stored again on the next attempt.", error.Message, StringComparison.Ordinal);
        Assert.IsType<IOException>(error.InnerException);
        Assert.Single(harness.ApiRequests);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(rotated, store.Current(Harness.ClientName));
        Assert.Equal(["old-offline-token", rotated], harness.TokenRequests.Select(r => r.Form["refresh_token"]));
    }

    [Fact]
    public async Task A_store_that_fails_to_read_gives_the_typed_error_and_is_not_asked_again_at_once()
    {
        var store = new RecordingStore { FailReads = true };
        using var harness = new Harness(services: services => services.AddSingleton<IRefreshTokenStore>(store));
        using var client = harness.CreateClient();

        var errors = new List<OfflineBearerException>();
        for (var i = 0; i < 5; i++)
        {
            errors.Add(await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items")));
        }

        Assert.IsType<InvalidOperationException>(errors[0].InnerException);
        Assert.Equal("OfflineBearer client 'inventory' could not get a token: InvalidOperationException.", errors[0].Message);
        Assert.Equal(1, store.Reads);
        Assert.Empty(harness.TokenRequests);
    }

    [Fact]
    public async Task An_empty_configured_refresh_token_means_none()
    {
        using var harness = new Harness(o => o.RefreshToken = "");
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();

        Assert.Equal("client_credentials", harness.TokenRequests.Single().GrantType);
    }
}
