using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Benchmarks.Peers;

namespace OfflineBearer.Benchmarks.Modes;

/// <summary>
/// Token storms, measured: <c>-- storm [--callers N] [--runs N]</c>. Many concurrent callers (10,000 by default),
/// started together and released at once through one gate, meet (a) a token that has expired and (b) a 401 for the
/// token they hold, against a token endpoint that takes 20 ms (<see cref="StormServer"/>). For OfflineBearer and
/// OidcClient's <c>RefreshTokenDelegatingHandler</c> it prints each run and the medians as markdown: token requests,
/// successes, failures, the API's 401s and the wall time from the release to the last answer. Exit code 1 when an
/// OfflineBearer run is not exactly one token request and every caller served.
/// </summary>
/// <remarks>
/// Each run builds its own service provider, server and clock. OfflineBearer's expiry is on a
/// <see cref="FakeTimeProvider"/> registered as the <see cref="TimeProvider"/> (the library takes it from DI) and moved
/// past the token's lifetime after the callers are started and before they are released; the API refuses the old
/// token too, as it would once it expired. OidcClient keeps no expiry for the tokens it is given, so its (a) is the
/// same 401 as (b).
/// </remarks>
internal static class StormMode
{
    public const string Name = "storm";

    private const string OfflineBearer = "OfflineBearer";
    private const string OidcClient = "OidcClient RefreshTokenDelegatingHandler";
    private const string Expired = "(a) token expired";
    private const string Refused = "(b) 401 for the current token";

    private static readonly Uri Api = new("https://api.test/items");

    /// <summary>Real time: a storm that hangs fails its callers instead of the whole run.</summary>
    private static readonly TimeSpan StormTimeout = TimeSpan.FromMinutes(2);

    public static async Task<int> RunAsync(string[] args)
    {
        var callers = Option(args, "--callers", 10_000);
        var runs = Option(args, "--runs", 3);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Storm: {callers} concurrent callers, token endpoint latency {StormServer.Latency.TotalMilliseconds} ms, {runs} run(s) per row, {Environment.ProcessorCount} cores."));

        var results = new List<StormRun>();
        foreach (var scenario in new[] { Expired, Refused })
        {
            foreach (var library in new[] { OfflineBearer, OidcClient })
            {
                for (var run = 1; run <= runs; run++)
                {
                    var result = await RunOnceAsync(scenario, library, run, callers);
                    results.Add(result);
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"// {scenario}, {library}, run {run}: {result.TokenRequests} token request(s), {result.Successes} successes, {result.Failures} failures, {result.WallTimeMs:0.0} ms"));
                }
            }
        }

        Print(results, callers);

        var wrong = results.Where(r => r.Library == OfflineBearer && (r.TokenRequests != 1 || r.Successes != callers)).ToList();
        if (wrong.Count > 0)
        {
            await Console.Error.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"FAILED: {wrong.Count} OfflineBearer run(s) were not exactly 1 token request and {callers} successes."));
            return 1;
        }

        return 0;
    }

    private static async Task<StormRun> RunOnceAsync(string scenario, string library, int run, int callers)
    {
        var server = new StormServer();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        var api = library == OfflineBearer ? AddOfflineBearer(services, server) : AddOidcClient(services, server);
        api.ConfigurePrimaryHttpMessageHandler(() => new StormApi(server));

        await using var provider = services.BuildServiceProvider();
        using var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(api.Name);

        // Before the storm every caller's client holds token 1, and the API accepts it.
        using (var first = await client.GetAsync(Api))
        {
            if (first.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"The warm-up request of {library} was answered {(int)first.StatusCode}.");
            }
        }

        server.ResetCounts();
        GC.Collect();
        GC.WaitForPendingFinalizers();

        using var timeout = new CancellationTokenSource(StormTimeout);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failureKinds = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var calls = new Task<bool>[callers];
        for (var i = 0; i < callers; i++)
        {
            calls[i] = CallAsync(client, gate.Task, failureKinds, timeout.Token);
        }

        if (scenario == Expired && library == OfflineBearer)
        {
            time.Advance(StormServer.AccessTokenLifetime + TimeSpan.FromMinutes(1));
        }

        server.RefuseCurrentToken();
        var stopwatch = Stopwatch.StartNew();
        gate.SetResult();
        var outcomes = await Task.WhenAll(calls);
        stopwatch.Stop();

        var successes = outcomes.Count(ok => ok);
        return new StormRun(
            scenario, library, run, server.TokenRequests, successes, callers - successes, server.Refusals, stopwatch.Elapsed.TotalMilliseconds, failureKinds);
    }

    private static IHttpClientBuilder AddOfflineBearer(ServiceCollection services, StormServer server)
    {
        const string name = "storm-offlinebearer";
        services.AddHttpClient(OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName(name))
            .ConfigurePrimaryHttpMessageHandler(() => new StormTokenEndpoint(server));
        return services.AddHttpClient(name).AddOfflineBearerHandler(o =>
        {
            o.TokenEndpoint = new Uri("https://sso.test/token");
            o.ClientId = "bench";
            o.ClientSecret = "secret";
        });
    }

    private static IHttpClientBuilder AddOidcClient(ServiceCollection services, StormServer server)
    {
        var peer = new OidcClientPeer(new StormTokenEndpoint(server));
        var accessToken = server.IssueDirectly();
        return services.AddHttpClient("storm-oidcclient").AddHttpMessageHandler(() => peer.CreateHandler(accessToken, "refresh-" + accessToken));
    }

    private static async Task<bool> CallAsync(
        HttpClient client, Task gate, ConcurrentDictionary<string, int> failureKinds, CancellationToken cancellationToken)
    {
        await gate;
        string failure;
        try
        {
            using var response = await client.GetAsync(Api, cancellationToken);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return true;
            }

            // The API always sends its challenge; a 401 without one was made by the handler, which never called it.
            failure = response.StatusCode == HttpStatusCode.Unauthorized && response.Headers.WwwAuthenticate.Count == 0
                ? "401 made by the handler (API not called)"
                : string.Create(CultureInfo.InvariantCulture, $"{(int)response.StatusCode} from the API");
        }
        catch (Exception e) when (e is OfflineBearerException or HttpRequestException or OperationCanceledException)
        {
            // Counted by kind, so the table's failures say what the callers got.
            failure = e.GetType().Name;
        }

        failureKinds.AddOrUpdate(failure, 1, static (_, n) => n + 1);
        return false;
    }

    private static void Print(List<StormRun> results, int callers)
    {
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"### Every run ({callers} callers)"));
        Console.WriteLine();
        Console.WriteLine("| Scenario | Library | Run | Token requests | Successes | Failures | API 401s | Wall time (ms) | Failures by kind |");
        Console.WriteLine("|---|---|--:|--:|--:|--:|--:|--:|---|");
        foreach (var r in results)
        {
            var kinds = string.Join(", ", r.FailureKinds.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key}: {k.Value}"));
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {r.Scenario} | {r.Library} | {r.Run} | {r.TokenRequests} | {r.Successes} | {r.Failures} | {r.ApiRefusals} | {r.WallTimeMs:0.0} | {kinds} |"));
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"### Medians ({callers} callers, token endpoint {StormServer.Latency.TotalMilliseconds} ms)"));
        Console.WriteLine();
        Console.WriteLine("| Scenario | Library | Token requests | Successes | Failures | Wall time (ms) |");
        Console.WriteLine("|---|---|--:|--:|--:|--:|");
        foreach (var row in results.GroupBy(r => (r.Scenario, r.Library)))
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {row.Key.Scenario} | {row.Key.Library} | {Median(row.Select(r => (double)r.TokenRequests)):0} | {Median(row.Select(r => (double)r.Successes)):0} | {Median(row.Select(r => (double)r.Failures)):0} | {Median(row.Select(r => r.WallTimeMs)):0.0} |"));
        }

        Console.WriteLine();
        Console.WriteLine("Notes:");
        Console.WriteLine("- OfflineBearer (a): the clock (a FakeTimeProvider from DI) is moved past the token's lifetime before the callers are released; it refreshes before sending.");
        Console.WriteLine("- OidcClient (Duende.IdentityModel.OidcClient 7.1.1) keeps no expiry for the tokens it is given and reads none: (a) reaches it as the API's 401, the same as (b).");
        Console.WriteLine("- OidcClient refreshes on every 401, one caller after another under one SemaphoreSlim, without checking whether another caller already got a new token;");
        Console.WriteLine("  a caller that waits longer than its Timeout (5 s) for the semaphore gives up: with the API's 401, or with a 401 of its own when it could not even read");
        Console.WriteLine("  the token in hand (every request takes the semaphore twice, once blocking a thread in the AccessToken getter, which starves the thread pool in a storm).");
        Console.WriteLine("- Duende.AccessTokenManagement is not measured: its package is not available to this build.");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : fallback;
    }
}
