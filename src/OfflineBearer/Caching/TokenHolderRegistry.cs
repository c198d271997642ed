using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OfflineBearer.Diagnostics;
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

    private TokenHolder Create(string clientName)
    {
        var options = _options.Get(clientName);
        var logger = _loggerFactory.CreateLogger(Log.Category);
        var telemetry = new ClientTelemetry(clientName, _metrics);
        var endpoint = TokenEndpointClient.Create(clientName, options, _httpClientFactory, _time, logger, telemetry, _store);

        // 0.70 to 0.80 of the lifetime: a fleet started together does not refresh in the same second.
        var refreshAtFraction = 0.70 + (Random.Shared.NextDouble() * 0.10);
        var holder = new TokenHolder(clientName, options, endpoint, _store, _sharedStore, _time, logger, telemetry, refreshAtFraction);
        _metrics?.Track(holder);
        return holder;
    }
}
