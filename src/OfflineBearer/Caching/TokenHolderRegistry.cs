using Microsoft.Extensions.DependencyInjection;
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

    /// <param name="options">Every client's options.</param>
    /// <param name="httpClientFactory">Makes each token endpoint's own HttpClient.</param>
    /// <param name="store">Where refresh tokens are kept.</param>
    /// <param name="time">The clock.</param>
    /// <param name="services">The optional services: a logger factory, a fleet's shared token store, the metrics.</param>
    public TokenHolderRegistry(
        IOptionsMonitor<OfflineBearerOptions> options,
        IHttpClientFactory httpClientFactory,
        IRefreshTokenStore store,
        TimeProvider time,
        IServiceProvider services)
    {
        _options = options;
        _httpClientFactory = httpClientFactory;
        _store = store;
        _time = time;
        _loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        _sharedStore = services.GetService<ISharedTokenStore>();
        _metrics = services.GetService<OfflineBearerMetrics>();
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
