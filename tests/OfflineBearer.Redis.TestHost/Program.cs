using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Redis.TestHost;

// One replica of a service, as its own OS process: args are the token server's authority, the API's URL, the Redis
// configuration, key prefix and client id. The client secret comes from OFFLINEBEARER_CLIENT_SECRET (none: a public
// client), a configured offline token from OFFLINEBEARER_REFRESH_TOKEN, never from argv; OFFLINEBEARER_SCOPE replaces the
// scope (empty: none). It calls the
// API every 50 ms until its standard input closes, printing OK or FAIL for each call, then "DONE ok=N failed=M". Each
// token request it sends prints
// "REDEEMED <grant>" once the server has answered, and the answer is then held back for half a second: the moment in
// which the test kills a replica, after the server rotated the refresh token and before the replica shared the new one.
var (authority, api, redis, prefix, clientId) = (args[0], new Uri(args[1]), args[2], args[3], args[4]);

var services = new ServiceCollection();
services.AddOfflineBearerRedis(o =>
{
    o.Configuration = redis;
    o.KeyPrefix = prefix;
});
services.AddHttpClient("inventory", c => c.BaseAddress = api).AddOfflineBearerHandler(o =>
{
    o.Authority = authority;
    o.ClientId = clientId;
    o.ClientSecret = Environment.GetEnvironmentVariable("OFFLINEBEARER_CLIENT_SECRET");
    o.RefreshToken = Environment.GetEnvironmentVariable("OFFLINEBEARER_REFRESH_TOKEN");
    o.Scope = Environment.GetEnvironmentVariable("OFFLINEBEARER_SCOPE") is { } scope ? (scope.Length == 0 ? null : scope) : "offline_access api";
    o.RefreshBeforeExpiry = TimeSpan.FromSeconds(1);
    o.TokenRequestAttemptTimeout = TimeSpan.FromSeconds(5);
    o.TokenRequestTimeout = TimeSpan.FromSeconds(5);
});
services.AddHttpClient(Microsoft.Extensions.DependencyInjection.OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName("inventory"))
    .AddHttpMessageHandler(() => new AnnounceRedeemed());
await using var provider = services.BuildServiceProvider();
var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("inventory");

var stdinClosed = Task.Run(() => Console.In.ReadToEnd());
int ok = 0, failed = 0;
while (!stdinClosed.IsCompleted)
{
    try
    {
        using var response = await client.GetAsync(new Uri("ping", UriKind.Relative));
        _ = response.IsSuccessStatusCode ? ok++ : failed++;
        Console.WriteLine(response.IsSuccessStatusCode ? "OK" : "FAIL");
    }
    catch (Exception e) when (e is OfflineBearer.OfflineBearerException or HttpRequestException)
    {
        failed++;
        Console.WriteLine("FAIL");
    }

    await Task.Delay(50);
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"DONE ok={ok} failed={failed}"));
return 0;
