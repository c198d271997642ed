using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

/// <summary>
/// Issue #7: a redirect from the token endpoint or from discovery is never followed, so no form, secret, refresh token
/// or Basic credential reaches another host, and no token from there reaches the API. Real sockets on loopback, the
/// token endpoint client as a user gets it (and with a primary handler a user configured, which follows redirects).
/// </summary>
public sealed class TokenRedirectTests
{
    private const string Secret = "redirect-test-secret";
    private const string OfflineToken = "redirect-test-offline-token";

    public enum Primary
    {
        AsUserGetsIt,
        UserSocketsHttpHandler,
        UserHttpClientHandler,
    }

    public static TheoryData<int, ClientAuthenticationMethod?, Primary> TokenEndpointCases
    {
        get
        {
            var data = new TheoryData<int, ClientAuthenticationMethod?, Primary>();
            foreach (var status in new[] { 302, 307 })
            {
                data.Add(status, ClientAuthenticationMethod.ClientSecretBasic, Primary.AsUserGetsIt);
                data.Add(status, ClientAuthenticationMethod.ClientSecretPost, Primary.AsUserGetsIt);
                data.Add(status, null, Primary.AsUserGetsIt);
                data.Add(status, ClientAuthenticationMethod.ClientSecretPost, Primary.UserSocketsHttpHandler);
                data.Add(status, ClientAuthenticationMethod.ClientSecretBasic, Primary.UserHttpClientHandler);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(TokenEndpointCases))]
    public async Task A_redirect_from_the_token_endpoint_sends_nothing_to_the_other_host(int status, ClientAuthenticationMethod? authentication, Primary primary)
    {
        var (elsewhere, received) = await StartRecorderAsync();
        await using var _ = elsewhere;
        await using var tokenServer = await LoopbackApp.StartAsync(app => app.MapPost("/token", () =>
            Results.Redirect(new Uri(elsewhere.Url, "/token?leak=query-part").ToString(), permanent: false, preserveMethod: status == 307)));
        await using var api = await StartApiAsync();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => CallAsync(api.Url, primary, o =>
        {
            o.TokenEndpoint = new Uri(tokenServer.Url, "/token");
            Configure(o, authentication);
        }));

        Assert.Empty(received);
        Assert.Equal((HttpStatusCode)status, error.StatusCode);
        Assert.Contains($"HTTP {status}", error.Message, StringComparison.Ordinal);
        Assert.Contains(elsewhere.Url.Authority, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("query-part", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(302, Primary.AsUserGetsIt)]
    [InlineData(307, Primary.AsUserGetsIt)]
    [InlineData(302, Primary.UserSocketsHttpHandler)]
    public async Task A_redirect_from_discovery_is_not_followed(int status, Primary primary)
    {
        var (elsewhere, received) = await StartRecorderAsync();
        await using var _ = elsewhere;
        await using var authority = await LoopbackApp.StartAsync(app => app.MapGet("/realms/prod/.well-known/openid-configuration", () =>
            Results.Redirect(new Uri(elsewhere.Url, "/realms/prod/.well-known/openid-configuration").ToString(), permanent: false, preserveMethod: status == 307)));
        await using var api = await StartApiAsync();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => CallAsync(api.Url, primary, o =>
        {
            o.Authority = new Uri(authority.Url, "/realms/prod").ToString();
            Configure(o, ClientAuthenticationMethod.ClientSecretPost);
        }));

        Assert.Empty(received);
        Assert.Equal((HttpStatusCode)status, error.StatusCode);
        Assert.Contains(elsewhere.Url.Authority, error.Message, StringComparison.Ordinal);
    }

    private static void Configure(OfflineBearerOptions options, ClientAuthenticationMethod? authentication)
    {
        options.ClientId = "redirect-test";
        if (authentication is { } method)
        {
            options.ClientSecret = Secret;
            options.ClientAuthentication = method;
        }
        else
        {
            options.RefreshToken = OfflineToken;
        }

        // Defaults otherwise: a redirect is refused, not retried.
    }

    private static async Task CallAsync(Uri api, Primary primary, Action<OfflineBearerOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddHttpClient("inventory", c => c.BaseAddress = api).AddOfflineBearerHandler(configure);
        var tokenClient = services.AddHttpClient(OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName("inventory"));
        switch (primary)
        {
            case Primary.UserSocketsHttpHandler:
                tokenClient.ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler());
                break;
            case Primary.UserHttpClientHandler:
                tokenClient.ConfigurePrimaryHttpMessageHandler(() => new HttpClientHandler());
                break;
        }

        await using var provider = services.BuildServiceProvider();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await provider.GetRequiredService<IHttpClientFactory>().CreateClient("inventory").GetAsync("ping", guard.Token);
    }

    /// <summary>A host that records every request it gets and answers each with a token, as an attacker's would.</summary>
    private static async Task<(LoopbackApp App, ConcurrentQueue<string> Received)> StartRecorderAsync()
    {
        var received = new ConcurrentQueue<string>();
        var app = await LoopbackApp.StartAsync(app => app.Map("{**path}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            received.Enqueue($"{context.Request.Method} {context.Request.Path} {context.Request.Headers.Authorization} {await reader.ReadToEndAsync()}");
            return Results.Json(new { access_token = "token-from-elsewhere", token_type = "Bearer", expires_in = 300, token_endpoint = "http://127.0.0.1:1/token" });
        }));
        return (app, received);
    }

    private static Task<LoopbackApp> StartApiAsync() =>
        LoopbackApp.StartAsync(app => app.MapGet("/ping", () => Results.Ok()));
}
