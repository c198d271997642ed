using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OfflineBearer.Diagnostics;
using OfflineBearer.Fleet;
using OfflineBearer.Options;
using OfflineBearer.Refresh;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Caching;

/// <summary>
/// One <see cref="TokenHolder"/> per named client for the life of the service provider. IHttpClientFactory recycles
/// handlers every few minutes; the token lives here so that it survives them.
/// </summary>
internal sealed class TokenHolderRegistry : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<TokenHolder>> _holders = new(StringComparer.Ordinal);
    private readonly IOptionsMonitor<OfflineBearerOptions> _options;
    private readonly IHttpClientFactory _httpClientFactory;
    private readonly IRefreshTokenStore _store;
    private readonly ISharedTokenStore? _sharedStore;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly OfflineBearerMetrics? _metrics;

    public TokenHolderRegistry(
        IOptionsMonitor<OfflineBearerOptions> options,
        IHttpClientFactory httpClientFactory,
        IRefreshTokenStore store,
        TimeProvider time,
        ILoggerFactory? loggerFactory = null,
        ISharedTokenStore? sharedStore = null,
        OfflineBearerMetrics? metrics = null)
    {
        _metrics = metrics;
        _options = options;
        _httpClientFactory = httpClientFactory;
        _store = store;
        _sharedStore = sharedStore;
        _time = time;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    }

    /// <summary>The holder of <paramref name="clientName"/>; its options are validated here at the latest.</summary>
    public TokenHolder Get(string clientName) =>
        _holders.GetOrAdd(clientName, name => new Lazy<TokenHolder>(() => Create(name))).Value;

    public void Dispose()
    {
        foreach (var holder in _holders.Values)
        {
            if (holder.IsValueCreated)
            {
                holder.Value.Dispose();
            }
        }
    }

    /// <summary>
    /// The one place a client's parts are put together, and where it is chosen whether its tokens come from this process
    /// alone or from its fleet (a shared token store is registered).
    /// </summary>
    private TokenHolder Create(string clientName)
    {
        var options = _options.Get(clientName);
        var client = new ClientContext(clientName, options, _time, _loggerFactory.CreateLogger(Log.Category), new ClientTelemetry(clientName, _metrics));
        var endpoint = TokenEndpointClient.Create(client, _httpClientFactory, _store);
        var redeemer = new Redeemer(endpoint);
        var refreshTokens = new RefreshTokenKeeper(clientName, options.RefreshToken, _store, client.Telemetry);
        ITokenSource source = _sharedStore is null
            ? new LocalTokenSource(redeemer, refreshTokens, _time)
            : new FleetTokenSource(client, _sharedStore, redeemer, refreshTokens);
        var holder = new TokenHolder(client, source, refreshTokens, endpoint.IsPublicClient);
        _metrics?.Track(holder);
        return holder;
    }
}
