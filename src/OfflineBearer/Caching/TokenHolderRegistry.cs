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
    private readonly IDisposable? _onChange;

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
        _onChange = options.OnChange(OnOptionsChanged);
    }

    /// <summary>The holder of <paramref name="clientName"/>; its options are validated here at the latest.</summary>
    public TokenHolder Get(string clientName) =>
        _holders.GetOrAdd(clientName, name => new Lazy<TokenHolder>(() => Create(name))).Value;

    public void Dispose()
    {
        _onChange?.Dispose();
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
        CheckSubjectTokenChain(clientName, options);
        var client = new ClientContext(clientName, options, _time, _loggerFactory.CreateLogger(Log.Category), new ClientTelemetry(clientName, _metrics));
        var sessions = new ClientSessions(
            CreateSession(client, previous: null),
            () => _options.Get(clientName),
            (reloaded, previous) => CreateSession(previous.Client with { Options = reloaded }, previous));
        var holder = new TokenHolder(client, sessions);
        _metrics?.Track(holder);
        return holder;
    }

    /// <summary>
    /// The parts of one version of a client's options. After a reload the same client keeps its refresh token, its
    /// DPoP key and what its fleet record knows; another client (Authority, ClientId or grant changed) starts with
    /// nothing of the old one's, not even the store's refresh token, which the first new one then replaces.
    /// </summary>
    private ClientSession CreateSession(ClientContext client, ClientSession? previous)
    {
        var options = client.Options;
        var same = previous?.IsSameClient(options) ?? false;
        if (previous is not null && !same)
        {
            CheckSubjectTokenChain(client.Name, options);
            if (_sharedStore is not null)
            {
                throw new InvalidOperationException(
                    $"OfflineBearer client '{client.Name}': its reloaded options name another Authority, ClientId or Grant, and its fleet's " +
                    "shared token store holds the old client's tokens under this name. Give the new client a new name (its own HttpClient) instead.");
            }
        }

        var keepsKey = same && previous!.Client.Options.DPoP == options.DPoP && previous.Client.Options.DPoPKeyPath == options.DPoPKeyPath;
        var endpoint = TokenEndpointClient.Create(client, _httpClientFactory, _store, keepsKey ? previous!.Redeemer.Endpoint.DPoPKeys : null);
        var redeemer = new Redeemer(endpoint, UpstreamToken(options));
        var refreshTokens = same
            ? previous!.RefreshTokens
            : new RefreshTokenKeeper(client.Name, options.RefreshToken, _store, client.Telemetry, readStore: previous is null);
        ITokenSource source = _sharedStore is null
            ? new LocalTokenSource(redeemer, refreshTokens, _time)
            : new FleetTokenSource(client, _sharedStore, redeemer, refreshTokens, (previous?.Source as FleetTokenSource)?.Record);
        return new ClientSession(client, redeemer, refreshTokens, source);
    }

    /// <summary>The current access token of the client a token exchange takes its subject token from, got as any call gets it.</summary>
    private Func<CancellationToken, ValueTask<string>>? UpstreamToken(OfflineBearerOptions options)
    {
        if (options.Grant != OfflineBearerGrant.TokenExchange || string.IsNullOrWhiteSpace(options.SubjectTokenClient))
        {
            return null;
        }

        var upstream = options.SubjectTokenClient;
        return async cancellationToken =>
        {
            var token = await Get(upstream).GetTokenAsync(cancellationToken).ConfigureAwait(false);
            if (token.Proofs is not null)
            {
                throw new OfflineBearerException(
                    $"The token of SubjectTokenClient '{upstream}' is bound to its DPoP key, so another client cannot present it as a subject token. Turn DPoP off for '{upstream}'.");
            }

            return token.Header.Parameter!;
        };
    }

    /// <summary>A token exchange from a client that (through others) exchanges this one's token would wait for itself.</summary>
    private void CheckSubjectTokenChain(string clientName, OfflineBearerOptions options)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { clientName };
        for (var next = options; next.Grant == OfflineBearerGrant.TokenExchange && !string.IsNullOrWhiteSpace(next.SubjectTokenClient);)
        {
            if (!seen.Add(next.SubjectTokenClient))
            {
                throw new OptionsValidationException(clientName, typeof(OfflineBearerOptions), [
                    $"OfflineBearer client '{clientName}': SubjectTokenClient '{options.SubjectTokenClient}' leads back to '{next.SubjectTokenClient}'; " +
                    "a token exchange cannot take its subject token from itself."]);
            }

            next = _options.Get(next.SubjectTokenClient);
        }
    }

    /// <summary>
    /// Reloaded options that name another client end the session at once: the token in hand is the old client's. Not in a
    /// fleet, which refuses that reload (see <see cref="CreateSession"/>), so the token in hand serves on until it expires.
    /// </summary>
    private void OnOptionsChanged(OfflineBearerOptions options, string? clientName)
    {
        if (_sharedStore is null && clientName is not null && _holders.TryGetValue(clientName, out var holder) && holder.IsValueCreated
            && !holder.Value.Sessions.Current.IsSameClient(options))
        {
            holder.Value.EndSession();
        }
    }
}
