using System.Globalization;
using BenchmarkDotNet.Attributes;
using OfflineBearer.Benchmarks.InMemory;

namespace OfflineBearer.Benchmarks;

/// <summary>
/// Per-request cost as callers grow, with a fresh token: each invocation starts <see cref="Callers"/> concurrent tasks
/// that together send <see cref="RequestsPerInvocation"/> requests (each sends its share in a loop) through one named
/// client of <see cref="PerRequestClients"/>, and the time is reported per request. A handler that takes a lock or
/// writes shared state on the fresh path grows with the callers; one that reads an immutable snapshot stays flat. The
/// constant header is the baseline; OidcClient's handler, which takes its semaphore twice per request, is the peer.
/// </summary>
/// <remarks>
/// On a 2-core machine at most two callers run at once whatever <see cref="Callers"/> is; more callers add contention
/// on any shared lock and the cost of starting their tasks (amortised over their requests: 8,192 per invocation).
/// OidcClient's handler waits on its semaphore synchronously in its <c>AccessToken</c> getter, so with many callers
/// the thread pool starves now and then and an invocation takes seconds: its mean and median differ widely, and the
/// iterations are bounded (at most 8 warm-up and 20 measured, for whatever job runs) so that such a case cannot run
/// for a quarter of an hour. A request its handler sent
/// without a token (a semaphore wait that timed out after 5 s) still counts; the log line
/// <c>// requests sent without a token</c> of each case says how many there were.
/// </remarks>
[MaxWarmupCount(8)]
[MaxIterationCount(20)]
[MemoryDiagnoser]
public class ConcurrentCallersBenchmarks : IDisposable
{
    /// <summary>Requests per invocation, split evenly among the callers (a power of two, so 256 divides it).</summary>
    public const int RequestsPerInvocation = 8_192;

    private PerRequestClients _clients = null!;
    private HttpMessageInvoker _constantHeader = null!;
    private HttpMessageInvoker _offlineBearer = null!;
    private HttpMessageInvoker _oidcClient = null!;
    private Task[] _callers = [];
    private int _withoutToken;

    [Params(1, 16, 256)]
    public int Callers { get; set; }

    [GlobalSetup]
    public async Task SetUpAsync()
    {
        _clients = await PerRequestClients.CreateAsync();
        _constantHeader = _clients[PerRequestClients.ConstantHeader];
        _offlineBearer = _clients[PerRequestClients.OfflineBearer];
        _oidcClient = _clients[PerRequestClients.OidcClient];
        _callers = new Task[Callers];
    }

    [GlobalCleanup]
    public void Dispose()
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// requests sent without a token ({Callers} callers): {Volatile.Read(ref _withoutToken)}"));
        _clients?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = RequestsPerInvocation)]
    public Task ConstantHeader() => RunCallersAsync(_constantHeader);

    [Benchmark(OperationsPerInvoke = RequestsPerInvocation)]
    public Task OfflineBearer() => RunCallersAsync(_offlineBearer);

    [Benchmark(OperationsPerInvoke = RequestsPerInvocation)]
    public Task OidcClientRefreshTokenHandler() => RunCallersAsync(_oidcClient);

    private Task RunCallersAsync(HttpMessageInvoker client)
    {
        var each = RequestsPerInvocation / Callers;
        for (var i = 0; i < _callers.Length; i++)
        {
            _callers[i] = Task.Run(() => CallAsync(client, each));
        }

        return Task.WhenAll(_callers);
    }

    private async Task CallAsync(HttpMessageInvoker client, int requests)
    {
        for (var i = 0; i < requests; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, PerRequestClients.Api);
            await client.SendAsync(request, CancellationToken.None);

            // A read of the caller's own request: no shared write unless a token is missing.
            if (request.Headers.Authorization?.Parameter is null)
            {
                Interlocked.Increment(ref _withoutToken);
            }
        }
    }
}
