using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

[Collection(SharedDevServers.Name)]
public sealed class RedirectTests(DevServerFixture servers)
{
    [Fact]
    public async Task A_redirect_to_another_host_does_not_carry_the_bearer_token()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var atApi = new ConcurrentQueue<string?>();
        var atOtherHost = new ConcurrentQueue<string?>();
        await using var otherHost = await LoopbackApp.StartAsync(app => app.MapGet("/echo", (HttpRequest request) =>
        {
            atOtherHost.Enqueue(AuthorizationOf(request));
            return Results.Ok();
        }));
        var elsewhere = new Uri($"http://localhost:{otherHost.Url.Port}/echo");
        await using var api = await LoopbackApp.StartAsync(app => app.MapGet("/api/ping", (HttpRequest request) =>
        {
            atApi.Enqueue(AuthorizationOf(request));
            return Results.Redirect(elsewhere.ToString());
        }));
        harness.AddBasicClient("inventory", apiUrl: new Uri(api.Url, "api/"));

        using var response = await harness.SendPingAsync("inventory");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(elsewhere, response.RequestMessage?.RequestUri);
        Assert.StartsWith("Bearer ", Assert.Single(atApi), StringComparison.Ordinal);
        Assert.Null(Assert.Single(atOtherHost));
    }

    private static string? AuthorizationOf(HttpRequest request) =>
        request.Headers.TryGetValue("Authorization", out var value) ? value.ToString() : null;
}
