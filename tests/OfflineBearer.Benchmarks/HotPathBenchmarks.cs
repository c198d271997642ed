using BenchmarkDotNet.Attributes;
using OfflineBearer.Benchmarks.InMemory;

namespace OfflineBearer.Benchmarks;

/// <summary>
/// What one request pays for its bearer token while the cached token is fresh, every row through the same
/// IHttpClientFactory handler chain (named clients of one service collection, the same in-memory API answering one
/// cached 200; see <see cref="PerRequestClients"/> for what is left out so that nothing dilutes the ratio): no handler (the floor), a handler that sets a constant header (the baseline: the least any bearer
/// scheme can do, so Ratio is the ratio to it), OfflineBearer, and OidcClient's <c>RefreshTokenDelegatingHandler</c>
/// holding an access token and a refresh token. Duende.AccessTokenManagement has no row: its package is not available
/// to this build.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks : IDisposable
{
    private PerRequestClients _clients = null!;
    private HttpMessageInvoker _noHandler = null!;
    private HttpMessageInvoker _constantHeader = null!;
    private HttpMessageInvoker _offlineBearer = null!;
    private HttpMessageInvoker _offlineBearerDPoP = null!;
    private HttpMessageInvoker _oidcClient = null!;

    [GlobalSetup]
    public async Task SetUpAsync()
    {
        _clients = await PerRequestClients.CreateAsync();
        _noHandler = _clients[PerRequestClients.NoHandler];
        _constantHeader = _clients[PerRequestClients.ConstantHeader];
        _offlineBearer = _clients[PerRequestClients.OfflineBearer];
        _offlineBearerDPoP = _clients[PerRequestClients.OfflineBearerDPoP];
        _oidcClient = _clients[PerRequestClients.OidcClient];
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _clients?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The floor: the factory's chain and the API, no Authorization header.</summary>
    [Benchmark]
    public Task<HttpResponseMessage> NoHandler() => PerRequestClients.SendAsync(_noHandler);

    /// <summary>A constant header: what any bearer handler costs at least.</summary>
    [Benchmark(Baseline = true)]
    public Task<HttpResponseMessage> ConstantHeader() => PerRequestClients.SendAsync(_constantHeader);

    /// <summary>OfflineBearer with a fresh cached token.</summary>
    [Benchmark]
    public Task<HttpResponseMessage> OfflineBearer() => PerRequestClients.SendAsync(_offlineBearer);

    /// <summary>OfflineBearer with a DPoP-bound token (#12): an ES256 proof signed for every request.</summary>
    [Benchmark]
    public Task<HttpResponseMessage> OfflineBearerDPoP() => PerRequestClients.SendAsync(_offlineBearerDPoP);

    /// <summary>Duende.IdentityModel.OidcClient's RefreshTokenDelegatingHandler holding a valid access token.</summary>
    [Benchmark]
    public Task<HttpResponseMessage> OidcClientRefreshTokenHandler() => PerRequestClients.SendAsync(_oidcClient);
}
