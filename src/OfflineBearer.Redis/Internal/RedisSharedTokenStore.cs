using System.Globalization;
using OfflineBearer.Stores;
using StackExchange.Redis;

namespace OfflineBearer.Redis.Internal;

/// <summary>
/// <see cref="ISharedTokenStore"/> on Redis. Per client a hash with the state, a string with the lease, and a channel
/// that announces each write; the keys share a hash tag, so the scripts work on Redis Cluster. The lease is
/// <c>SET NX PX</c> with a unique fencing value; the write and the release are Lua scripts that check that value. With
/// Data Protection registered, both tokens are stored protected (field <c>p</c> says so). On a cluster, a script that
/// meets its slot moving to another master is sent again until it runs (<see cref="ClusterScripts"/>).
/// </summary>
internal sealed class RedisSharedTokenStore : ISharedTokenStore, IAsyncDisposable
{
    // KEYS: state, lease, spending mark. ARGV: fence, version, refresh token, access token, lifetime ticks, expiry ms,
    // channel, protected, DPoP key thumbprint, superseded refresh token hashes (space-separated).
    private const string WriteScript = """
        if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
        local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
        if current >= tonumber(ARGV[2]) then return -1 end
        redis.call('DEL', KEYS[1], KEYS[3])
        redis.call('HSET', KEYS[1], 'v', ARGV[2], 'at', ARGV[4], 'p', ARGV[8])
        if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'rt', ARGV[3]) end
        if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'lt', ARGV[5], 'exp', ARGV[6]) end
        if ARGV[9] ~= '' then redis.call('HSET', KEYS[1], 'jkt', ARGV[9]) end
        if ARGV[10] ~= '' then redis.call('HSET', KEYS[1], 'sup', ARGV[10]) end
        redis.call('PUBLISH', ARGV[7], ARGV[2])
        return 1
        """;

    // KEYS: lease, spending mark. ARGV: fence, '1' to mark or '0' to unmark.
    private const string MarkScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        if ARGV[2] == '1' then redis.call('SET', KEYS[2], '1') else redis.call('DEL', KEYS[2]) end
        return 1
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private readonly Func<Task<IConnectionMultiplexer>> _connect;
    private readonly bool _ownsConnection;
    private readonly string _prefix;
    private readonly TimeProvider _time;
    private readonly TokenProtection _protection;
    private readonly Lock _gate = new();
    private Task<IConnectionMultiplexer>? _connection;

    public RedisSharedTokenStore(
        RedisTokenStoreOptions options,
        Func<Task<IConnectionMultiplexer>> connect,
        bool ownsConnection,
        TimeProvider time,
        TokenProtection protection)
    {
        _connect = connect;
        _ownsConnection = ownsConnection;
        _prefix = options.KeyPrefix;
        AllowLocalRefreshWhenUnavailable = options.AllowLocalRefreshWhenUnavailable;
        _time = time;
        _protection = protection;
    }

    public bool AllowLocalRefreshWhenUnavailable { get; }

    public async ValueTask<SharedTokenState?> ReadAsync(string clientName, CancellationToken cancellationToken)
    {
        var database = await DatabaseAsync().ConfigureAwait(false);
        var keys = Keys(clientName);
        var fields = database.HashGetAllAsync(keys.State);
        var spending = database.KeyExistsAsync(keys.Spending);
        await Task.WhenAll(fields, spending).WaitAsync(cancellationToken).ConfigureAwait(false);
        return Parse(await fields.ConfigureAwait(false), await spending.ConfigureAwait(false), clientName);
    }

    public async ValueTask<string?> TryAcquireLeaseAsync(string clientName, TimeSpan duration, CancellationToken cancellationToken)
    {
        var database = await DatabaseAsync().ConfigureAwait(false);
        var fence = Guid.NewGuid().ToString();
        var taken = await database.StringSetAsync(Keys(clientName).Lease, fence, duration, When.NotExists)
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return taken ? fence : null;
    }

    public async ValueTask<TimeSpan?> GetLeaseTimeLeftAsync(string clientName, CancellationToken cancellationToken)
    {
        var database = await DatabaseAsync().ConfigureAwait(false);
        return await database.KeyTimeToLiveAsync(Keys(clientName).Lease).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<bool> TryWriteAsync(string clientName, string lease, SharedTokenState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var database = await DatabaseAsync().ConfigureAwait(false);
        var keys = Keys(clientName);
        var written = await database.EvaluateUntilRunAsync(
            WriteScript,
            [keys.State, keys.Lease, keys.Spending],
            [
                lease,
                state.Version,
                state.RefreshToken is { } refreshToken ? _protection.Protect(refreshToken) : "",
                _protection.Protect(state.AccessToken),
                state.AccessTokenLifetime?.Ticks.ToString(CultureInfo.InvariantCulture) ?? "",
                state.AccessTokenExpiresAt?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) ?? "",
                keys.Channel,
                _protection.IsOn ? "1" : "0",
                state.DPoPKeyThumbprint ?? "",
                string.Join(' ', state.SupersededRefreshTokenHashes),
            ],
            cancellationToken).ConfigureAwait(false);
        return (int)written == 1;
    }

    public async ValueTask<bool> TryMarkRedeemingAsync(string clientName, string lease, bool redeeming, CancellationToken cancellationToken)
    {
        var database = await DatabaseAsync().ConfigureAwait(false);
        var keys = Keys(clientName);
        var marked = await database.EvaluateUntilRunAsync(MarkScript, [keys.Lease, keys.Spending], [lease, redeeming ? "1" : "0"], cancellationToken)
            .ConfigureAwait(false);
        return (int)marked == 1;
    }

    public async ValueTask ReleaseLeaseAsync(string clientName, string lease, CancellationToken cancellationToken)
    {
        var database = await DatabaseAsync().ConfigureAwait(false);
        await database.EvaluateUntilRunAsync(ReleaseScript, [Keys(clientName).Lease], [lease], cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<SharedTokenState?> WaitForNewerAsync(string clientName, long version, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var connection = await ConnectionAsync().ConfigureAwait(false);
        var subscriber = connection.GetSubscriber();
        var channel = RedisChannel.Literal(Keys(clientName).Channel);
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnWritten(RedisChannel _, RedisValue message)
        {
            if (message.TryParse(out long newer) && newer > version)
            {
                written.TrySetResult();
            }
        }

        await subscriber.SubscribeAsync(channel, OnWritten).WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A write between the caller's read and the subscription sent its message to nobody: look once more.
            if (await ReadAsync(clientName, cancellationToken).ConfigureAwait(false) is { } state && state.Version > version)
            {
                return state;
            }

            try
            {
                await written.Task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return null;
            }

            return await ReadAsync(clientName, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await subscriber.UnsubscribeAsync(channel, OnWritten).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsConnection && _connection is { IsCompletedSuccessfully: true } connection)
        {
            await connection.Result.DisposeAsync().ConfigureAwait(false);
        }
    }

    private SharedTokenState? Parse(HashEntry[] fields, bool spending, string clientName)
    {
        if (fields.Length == 0)
        {
            // Nothing shared yet, but a replica started to redeem the first refresh token (configured, or kept in memory
            // after Redis lost its data) and never wrote: version 0, never adopted, and the mark says not to redeem it.
            return spending ? new SharedTokenState(0, null, "", null, null, refreshTokenMayBeSpent: true) : null;
        }

        var values = fields.ToDictionary(field => field.Name.ToString(), field => field.Value, StringComparer.Ordinal);
        if (!values.TryGetValue("v", out var version) || !version.TryParse(out long number) || !values.TryGetValue("at", out var accessToken))
        {
            return null;
        }

        TimeSpan? lifetime = values.TryGetValue("lt", out var ticks) && ticks.TryParse(out long t) ? TimeSpan.FromTicks(t) : null;
        DateTimeOffset? expiresAt = values.TryGetValue("exp", out var ms) && ms.TryParse(out long m) ? DateTimeOffset.FromUnixTimeMilliseconds(m) : null;
        var isProtected = values.TryGetValue("p", out var flag) && flag == "1";
        var where = $"in Redis for OfflineBearer client '{clientName}'";
        string Read(RedisValue value) => isProtected ? _protection.Unprotect(value.ToString(), where) : value.ToString();
        return new SharedTokenState(
            number,
            values.TryGetValue("rt", out var refreshToken) ? Read(refreshToken) : null,
            Read(accessToken),
            lifetime,
            expiresAt,
            spending)
        {
            DPoPKeyThumbprint = values.TryGetValue("jkt", out var thumbprint) ? thumbprint.ToString() : null,
            SupersededRefreshTokenHashes = values.TryGetValue("sup", out var superseded)
                ? superseded.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries)
                : [],
        };
    }

    private (string State, string Lease, string Spending, string Channel) Keys(string clientName)
    {
        // The braces are a hash tag: all keys of one client live in one slot of a Redis Cluster.
        var root = $"{_prefix}{{{clientName}}}";
        return ($"{root}:state", $"{root}:lease", $"{root}:spending", $"{root}:written");
    }

    private async ValueTask<IDatabase> DatabaseAsync() => (await ConnectionAsync().ConfigureAwait(false)).GetDatabase();

    private Task<IConnectionMultiplexer> ConnectionAsync()
    {
        lock (_gate)
        {
            // A failed connect is forgotten, so the next call tries again.
            if (_connection is null || _connection.IsFaulted || _connection.IsCanceled)
            {
                _connection = _connect();
            }

            return _connection;
        }
    }
}
