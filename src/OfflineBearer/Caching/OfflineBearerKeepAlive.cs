using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OfflineBearer.Options;

namespace OfflineBearer.Caching;

/// <summary>
/// Refreshes every client that has gone <see cref="OfflineBearerOptions.KeepAliveInterval"/> without a token request,
/// even without traffic, so that its offline session is not ended for idleness. Runs in any host that runs hosted services.
/// </summary>
internal sealed class OfflineBearerKeepAlive : BackgroundService
{
    private static readonly TimeSpan LongestCheckPeriod = TimeSpan.FromHours(1);

    private readonly IEnumerable<OfflineBearerClientName> _clients;
    private readonly TokenHolderRegistry _holders;
    private readonly IOptionsMonitor<OfflineBearerOptions> _options;
    private readonly TimeProvider _time;
    private List<(TokenHolder Holder, TimeSpan Idle)> _watched = [];
    private PeriodicTimer? _timer;

    public OfflineBearerKeepAlive(
        IEnumerable<OfflineBearerClientName> clients,
        TokenHolderRegistry holders,
        IOptionsMonitor<OfflineBearerOptions> options,
        TimeProvider time)
    {
        _clients = clients;
        _holders = holders;
        _options = options;
        _time = time;
    }

    /// <summary>
    /// The holders and the timer start here, not in <see cref="ExecuteAsync"/> (which the host runs later on another
    /// thread), so the idle time of every client is counted from the moment the host starts.
    /// </summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _watched = _clients
            .Select(client => client.Name)
            .Distinct(StringComparer.Ordinal)
            .Select(name => (Name: name, Idle: _options.Get(name).KeepAliveInterval))
            .Where(client => client.Idle is not null)
            .Select(client => (_holders.Get(client.Name), client.Idle!.Value))
            .ToList();

        if (_watched.Count > 0)
        {
            // Often enough that a client is refreshed within a quarter interval of going idle, and at least hourly.
            var shortest = _watched.Min(client => client.Idle) / 4;
            _timer = new PeriodicTimer(shortest < LongestCheckPeriod ? shortest : LongestCheckPeriod, _time);
        }

        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_timer is null)
        {
            return;
        }

        while (await _timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            foreach (var (holder, idle) in _watched)
            {
                await holder.KeepAliveAsync(idle, stoppingToken).ConfigureAwait(false);
            }
        }
    }
}
