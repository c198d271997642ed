using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Benchmarks.InMemory;

namespace OfflineBearer.Benchmarks.Modes;

/// <summary>
/// Memory per named client: <c>-- memory [--clients N] [--runs N]</c>. One service collection with N (1,000 by
/// default) named clients, each created by <see cref="IHttpClientFactory"/> and sent one request, so each OfflineBearer
/// client holds its token (the ~900-character JWT and refresh token of <see cref="RealisticTokenEndpoint"/>, or the
/// short opaque token of <see cref="YearLongTokenEndpoint"/>, so the tokens' own share shows); then a
/// full compacting GC and the bytes still reachable, divided by N. The same for N plain named clients with the same
/// in-memory API and no handler, so the difference per client is what OfflineBearer itself keeps: its token holder,
/// snapshot, handler, options, the token endpoint's own named client and handler chain, and the tokens.
/// </summary>
/// <remarks>
/// Everything (provider, clients) is kept reachable until the second measurement. A warm-up round of a few clients
/// of each kind first, so statics and caches the first use fills are not counted against the first kind measured.
/// "Retained" is <see cref="GC.GetTotalMemory(bool)"/> after minus before; "heap" is the
/// <see cref="GCMemoryInfo.HeapSizeBytes"/> of the last full GC after minus before, fragmentation subtracted.
/// </remarks>
internal static class MemoryMode
{
    public const string Name = "memory";

    private const string Plain = "Plain named HttpClient";
    private const string OfflineBearer = "OfflineBearer named HttpClient, ~900-char JWT";
    private const string OfflineBearerOpaque = "OfflineBearer named HttpClient, 22-char opaque token";

    private static readonly Uri Api = new("https://api.test/items");

    private static readonly string[] Kinds = [Plain, OfflineBearerOpaque, OfflineBearer];

    public static int Run(string[] args)
    {
        var clients = Option(args, "--clients", 1_000);
        var runs = Option(args, "--runs", 3);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Memory: {clients} named clients per measurement, {runs} run(s), server GC: {System.Runtime.GCSettings.IsServerGC}."));

        foreach (var kind in Kinds)
        {
            Measure(kind, 10);
        }

        var results = new List<(string Kind, int Run, long Retained, long Heap)>();
        for (var run = 1; run <= runs; run++)
        {
            foreach (var kind in Kinds)
            {
                var (retained, heap) = Measure(kind, clients);
                results.Add((kind, run, retained, heap));
            }
        }

        Console.WriteLine();
        Console.WriteLine("| Clients | Run | Kind | Retained (KB) | Retained per client (B) | Heap per client (B) |");
        Console.WriteLine("|--:|--:|---|--:|--:|--:|");
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {clients} | {r.Run} | {r.Kind} | {r.Retained / 1024.0:0} | {r.Retained / clients:0} | {r.Heap / clients:0} |"));
        }

        Console.WriteLine();
        Console.WriteLine("| Kind | Median retained per client (B) | Median heap per client (B) |");
        Console.WriteLine("|---|--:|--:|");
        var plain = (Retained: 0.0, Heap: 0.0);
        foreach (var kind in Kinds)
        {
            var retained = Median(results.Where(r => r.Kind == kind).Select(r => (double)r.Retained / clients));
            var heap = Median(results.Where(r => r.Kind == kind).Select(r => (double)r.Heap / clients));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {kind} | {retained:0} | {heap:0} |"));
            if (kind == Plain)
            {
                plain = (retained, heap);
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {kind}: OfflineBearer's own (minus plain) | {retained - plain.Retained:0} | {heap - plain.Heap:0} |"));
            }
        }

        return 0;
    }

    private static (long Retained, long Heap) Measure(string kind, int count)
    {
        var (totalBefore, heapBefore) = Settle();

        var services = new ServiceCollection();
        var names = new string[count];
        for (var i = 0; i < count; i++)
        {
            names[i] = string.Create(CultureInfo.InvariantCulture, $"client-{i:D4}");
            var builder = services.AddHttpClient(names[i]);
            if (kind != Plain)
            {
                builder.AddOfflineBearerHandler(o =>
                {
                    o.TokenEndpoint = new Uri("https://sso.test/token");
                    o.ClientId = "bench";
                    o.ClientSecret = "secret";
                });
                services.AddHttpClient(OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName(names[i]))
                    .ConfigurePrimaryHttpMessageHandler(() => kind == OfflineBearer ? new RealisticTokenEndpoint() : new YearLongTokenEndpoint());
            }

            builder.ConfigurePrimaryHttpMessageHandler(() => new CachedOkApi());
        }

        var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();
        var clients = new HttpClient[count];
        for (var i = 0; i < count; i++)
        {
            clients[i] = factory.CreateClient(names[i]);
            using var request = new HttpRequestMessage(HttpMethod.Get, Api);
            var response = clients[i].SendAsync(request, HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"Client '{names[i]}' was answered {(int)response.StatusCode}.");
            }
        }

        var (totalAfter, heapAfter) = Settle();
        GC.KeepAlive(clients);
        GC.KeepAlive(provider);
        foreach (var client in clients)
        {
            client.Dispose();
        }

        provider.Dispose();
        return (totalAfter - totalBefore, heapAfter - heapBefore);
    }

    private static (long Total, long Heap) Settle()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        var total = GC.GetTotalMemory(forceFullCollection: true);
        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        return (total, info.HeapSizeBytes - info.FragmentedBytes);
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
