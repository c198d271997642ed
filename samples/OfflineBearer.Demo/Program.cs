using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OfflineBearer;
using OfflineBearer.Demo;
using OfflineBearer.Testing;

// Settings come from the command line or from OFFLINEBEARER_* environment variables (keep the secret in the latter).
var settings = new ConfigurationBuilder()
    .AddEnvironmentVariables("OFFLINEBEARER_")
    .AddCommandLine(args, new Dictionary<string, string>
    {
        ["--authority"] = "AUTHORITY",
        ["--client-id"] = "CLIENT_ID",
        ["--client-secret"] = "CLIENT_SECRET",
        ["--scope"] = "SCOPE",
        ["--url"] = "URL",
        ["--calls"] = "CALLS",
        ["--replicas"] = "REPLICAS",
    })
    .Build();

var console = new DemoConsole();
try
{
    if (settings["REPLICAS"] is { } replicas)
    {
        // The fleet runs against the embedded token server only: it counts the server's token requests and reuse detections.
        if (!int.TryParse(replicas, out var count) || count < 2 || settings["AUTHORITY"] is not null)
        {
            Console.Error.WriteLine("Configuration error: --replicas takes a number of 2 or more, and runs against the embedded token server (no --authority).");
            return 1;
        }

        return await FleetDemo.RunAsync(count, console);
    }

    return settings["AUTHORITY"] is null
        ? await RunEmbeddedAsync(console)
        : await RunAgainstRealServerAsync(settings, console);
}
catch (OptionsValidationException e)
{
    Console.Error.WriteLine($"Configuration error: {string.Join(" ", e.Failures)}");
}
catch (OfflineBearerException e)
{
    Console.Error.WriteLine($"No token: {e.Message}");
}
catch (HttpRequestException e)
{
    Console.Error.WriteLine($"The API could not be reached: {e.Message}");
}

return 1;

// The whole lifecycle against the embedded OpenID Connect server: first token, refreshes ahead of expiry, rotation,
// a server-side revocation answered by 401 and a silent retry.
static async Task<int> RunEmbeddedAsync(DemoConsole console)
{
    var lifetime = DemoClient.TokenLifetime;
    await using var server = await TestTokenServer.StartAsync(new TestTokenServerOptions { AccessTokenLifetime = lifetime });
    console.Restart();
    Console.WriteLine("OfflineBearer demo: a named HttpClient calls a protected API; the handler does all the token work.");
    Console.WriteLine($"  token server  {server.Authority} (OpenIddict; access tokens live {lifetime.TotalSeconds} s; refresh tokens rotate, reuse is refused)");
    Console.WriteLine($"  client        {TestTokenServer.BasicClientId} (client_secret_basic), scope 'offline_access api'");
    Console.WriteLine();

    using var metrics = new DemoMetrics();
    using var services = DemoClient.Build(console, server.ApiUrl, o => DemoClient.ForDevServer(o, server));
    var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(DemoClient.Name);

    int calls = 0, failures = 0;
    for (var second = 0.0; second < 16; second += 0.5)
    {
        if (calls == 19)
        {
            var revoked = await server.RevokeAccessTokensAsync();
            console.Line("server", $"an administrator revoked {revoked} access token(s); the client does not know yet");
        }

        calls++;
        using var response = await client.GetAsync("ping");
        failures += response.IsSuccessStatusCode ? 0 : 1;
        console.Line("call", $"#{calls,-3} GET ping -> {(int)response.StatusCode} {response.ReasonPhrase}");
        if (calls == 20)
        {
            await DemoClient.ShowHealthAsync(services, console);
        }

        await Task.Delay(TimeSpan.FromSeconds(0.5));
    }

    await DemoClient.ShowHealthAsync(services, console);
    Console.WriteLine();
    Console.WriteLine(
        $"Summary (from the OfflineBearer metrics): {calls} calls, {failures} failed; token requests: " +
        $"{metrics.Sum("offlinebearer.token.requests", "client_credentials", "success")} client_credentials, " +
        $"{metrics.Sum("offlinebearer.token.requests", "refresh_token", "success")} refresh_token, " +
        $"{metrics.Sum("offlinebearer.token.requests") - metrics.Sum("offlinebearer.token.requests", outcome: "success")} failed; " +
        $"{metrics.Sum("offlinebearer.refresh_token.rotations")} rotations; {metrics.Sum("offlinebearer.request.resends")} resent after 401; " +
        $"{metrics.Sum("offlinebearer.token.waits")} calls waited for a token. Expired tokens seen by the API: {server.Ledger.ApiRequests(expired: true)}.");
    return failures == 0 ? 0 : 1;
}

// The same client against a real server such as Keycloak.
static async Task<int> RunAgainstRealServerAsync(IConfiguration settings, DemoConsole console)
{
    if (settings["URL"] is not { } url || !Uri.TryCreate(url, UriKind.Absolute, out var api))
    {
        Console.Error.WriteLine("Configuration error: --url (or OFFLINEBEARER_URL) must name the API to call, such as https://api.example.org/items.");
        return 1;
    }

    using var services = DemoClient.Build(console, api, o =>
    {
        o.Authority = settings["AUTHORITY"];
        o.ClientId = settings["CLIENT_ID"];
        o.ClientSecret = settings["CLIENT_SECRET"];
        o.Scope = settings["SCOPE"] ?? "offline_access";
    });
    var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(DemoClient.Name);

    var calls = int.TryParse(settings["CALLS"], out var n) ? n : 3;
    var failures = 0;
    for (var i = 1; i <= calls; i++)
    {
        using var response = await client.GetAsync(api);
        failures += response.IsSuccessStatusCode ? 0 : 1;
        console.Line("call", $"#{i,-3} GET {api.AbsolutePath} -> {(int)response.StatusCode} {response.ReasonPhrase}");
    }

    return failures == 0 ? 0 : 1;
}
