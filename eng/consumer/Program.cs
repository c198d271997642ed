using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer;
using OfflineBearer.PackageConsumer;
using OfflineBearer.Redis;
using OfflineBearer.Testing;
using OfflineBearer.Testing.Redis;

// The four shipped packages as a user installs them, after .ci/run packed them with one version and installed the tool
// from the same feed:
//
//   dotnet run --project eng/consumer --property:OfflineBearerPackageVersion=VERSION -- TOOL_DIR/offline-token
//
// One line per check; the last line is the verdict in dotnet test's words, so .ci/run counts these checks with the test
// projects'. The exit code is 0 only when every check passed.
if (args is not [var tool])
{
    await Console.Error.WriteLineAsync("usage: dotnet run --project eng/consumer --property:OfflineBearerPackageVersion=VERSION -- PATH/offline-token");
    return 2;
}

var version = typeof(Checks).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "OfflineBearerPackageVersion").Value!;
var checks = new Checks($"eng/consumer: OfflineBearer, OfflineBearer.Redis, OfflineBearer.Testing and OfflineBearer.Cli {version} as packages");
using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3)); // a hang fails the run instead of eating CI's time
var cancellationToken = deadline.Token;

await checks.RunAsync("OfflineBearer, OfflineBearer.Redis and OfflineBearer.Testing are the packed version", () =>
{
    var reported = new[] { typeof(OfflineBearerOptions), typeof(RedisTokenStoreOptions), typeof(TestTokenServer) }
        .Select(t => (Name: t.Assembly.GetName().Name, Version: t.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion))
        .ToList();
    var wrong = reported.Where(r => r.Version?.Split('+')[0] != version).Select(r => $"{r.Name} is {r.Version ?? "unversioned"}").ToList();
    Checks.Expect(wrong.Count == 0, $"expected {version}: {string.Join(", ", wrong)}");
    return Task.FromResult<string?>(reported[0].Version);
});

RedisServer? redis = null;
TestTokenServer? idp = null;
await checks.RunAsync("redis-server (the kit's RedisServer) and the development token server (TestTokenServer) start", async () =>
{
    redis = await RedisServer.StartAsync(cancellationToken);
    idp = await TestTokenServer.StartAsync(o => o.AccessTokenLifetime = TimeSpan.FromMinutes(5), cancellationToken);
    return $"redis {redis.Configuration}, authority {idp.Authority}";
});

var store = Directory.CreateTempSubdirectory("offline-token-consumer-");
try
{
    if (redis is not null && idp is not null)
    {
        await RunChecksAsync(checks, idp, redis, new ToolProcess(tool, cancellationToken), store.FullName, version, cancellationToken);
    }
}
finally
{
    store.Delete(recursive: true);
    if (idp is not null)
    {
        await idp.DisposeAsync();
    }

    if (redis is not null)
    {
        await redis.DisposeAsync();
    }
}

return checks.Verdict();

static async Task RunChecksAsync(Checks checks, TestTokenServer idp, RedisServer redis, ToolProcess tool, string store, string version, CancellationToken cancellationToken)
{
    await using var first = Replica(idp, redis);
    await using var second = Replica(idp, redis);

    await checks.RunAsync("a named HttpClient with AddOfflineBearerHandler and AddOfflineBearerRedis calls the protected API", async () =>
        $"GET {idp.ApiUrl}ping answered for {await PingAsync(first, cancellationToken)}");

    await checks.RunAsync("a second replica on the same Redis adopts that token instead of asking for its own", async () =>
    {
        await PingAsync(second, cancellationToken);
        var requests = idp.Ledger.TokenRequests(TestTokenServer.BasicClientId);
        Checks.Expect(requests == 1, $"the token server saw {requests} token requests for 2 replicas, not 1");
        return "1 token request for 2 replicas";
    });

    await checks.RunAsync("offline-token --version prints the packed version", async () =>
    {
        var run = await tool.RunAsync(["--version"]);
        Checks.Expect(run.ExitCode == 0 && run.Out.Trim().Split('+')[0] == version, $"expected {version}, got {run}");
        return run.Out.Trim();
    });

    await checks.RunAsync("offline-token --help lists its commands", async () =>
    {
        var run = await tool.RunAsync(["--help"]);
        string[] commands = ["login", "get", "token", "inspect", "revoke"];
        var missing = commands.Where(c => !Regex.IsMatch(run.Out, $@"^\s+{c}\b", RegexOptions.Multiline)).ToList();
        Checks.Expect(run.ExitCode == 0 && missing.Count == 0, $"missing {string.Join(", ", missing)}: {run}");
        return string.Join(", ", commands);
    });

    await checks.RunAsync("offline-token get stores an offline token from the development server", async () =>
    {
        var run = await tool.RunAsync(
            ["get", "--authority", idp.Authority.AbsoluteUri, "--client-id", TestTokenServer.BasicClientId, "--scope", TestTokenServer.OfflineScope, "--store", store, "--client", "inventory"],
            TestTokenServer.BasicClientSecret);
        // Standard output is for tokens only: what happened goes to standard error.
        Checks.Expect(run.ExitCode == 0 && run.Error.Contains("Got an access token for client 'inventory'", StringComparison.Ordinal), run.ToString());
        Checks.Expect(!(run.Out + run.Error).Contains(TestTokenServer.BasicClientSecret, StringComparison.Ordinal), "it printed the client secret");
        return run.Error.Trim();
    });

    await checks.RunAsync("offline-token token prints an access token the protected API accepts", async () =>
    {
        var run = await tool.RunAsync(["token", "--store", store, "--client", "inventory"], TestTokenServer.BasicClientSecret);
        var token = run.Out.Trim();
        Checks.Expect(run.ExitCode == 0 && Regex.IsMatch(token, @"^eyJ[\w-]*\.[\w-]+\.[\w-]+$"), $"no JWT: {run}");
        using var api = new HttpClient { BaseAddress = idp.ApiUrl };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var answer = await api.GetFromJsonAsync<PingAnswer>("ping", cancellationToken);
        Checks.Expect(answer is { Ok: true, Client: TestTokenServer.BasicClientId }, $"the API answered {answer}");
        return $"a {token.Length}-character JWT; GET ping answered for {answer!.Client}";
    });
}

static ServiceProvider Replica(TestTokenServer idp, RedisServer redis)
{
    var services = new ServiceCollection();
    services.AddHttpClient("inventory", c => c.BaseAddress = idp.ApiUrl)
        .AddOfflineBearerHandler(idp.ClientOptions(TestTokenServer.BasicClientId));
    services.AddOfflineBearerRedis(o =>
    {
        o.Configuration = redis.Configuration;
        o.KeyPrefix = "package-consumer:";
    });
    return services.BuildServiceProvider();
}

static async Task<string?> PingAsync(ServiceProvider replica, CancellationToken cancellationToken)
{
    var client = replica.GetRequiredService<IHttpClientFactory>().CreateClient("inventory");
    var answer = await client.GetFromJsonAsync<PingAnswer>("ping", cancellationToken);
    Checks.Expect(answer is { Ok: true, Client: TestTokenServer.BasicClientId }, $"the API answered {answer}");
    return answer!.Client;
}

/// <summary>The body of the development server's <c>GET /api/ping</c>.</summary>
internal sealed record PingAnswer(bool Ok, string? Client, string? Subject);
