namespace OfflineBearer.Testing.Redis;

/// <summary>
/// Which kind of server <see cref="RedisServer.StartAsync(CancellationToken)"/> starts: the environment variable
/// <see cref="Variable"/> decides when set, else whether <c>redis-server</c> is installed. CI runs the Redis tests once
/// with the default (redis-server, which it installs) and once with <c>OFFLINEBEARER_TEST_REDIS=embedded</c>.
/// </summary>
internal static class RedisServerChoice
{
    /// <summary>The environment variable that chooses the kind: <c>redis-server</c> or <c>embedded</c>.</summary>
    public const string Variable = "OFFLINEBEARER_TEST_REDIS";

    /// <summary>
    /// The kind to start, given the value of <see cref="Variable"/> and the path of <c>redis-server</c>
    /// (<see langword="null"/> when it is not installed). A setting that cannot be honoured fails rather than falls back,
    /// so a run that asks for one kind never passes on the other.
    /// </summary>
    /// <exception cref="InvalidOperationException">The setting names another kind, or <c>redis-server</c> while it is not installed.</exception>
    public static RedisServerKind Choose(string? setting, string? executable) => setting switch
    {
        null or "" => executable is null ? RedisServerKind.Embedded : RedisServerKind.RedisServer,
        "embedded" => RedisServerKind.Embedded,
        "redis-server" when executable is not null => RedisServerKind.RedisServer,
        "redis-server" => throw new InvalidOperationException(
            $"{Variable}=redis-server, but redis-server is not installed: apt-get install -y redis-server (Debian's package), or unset {Variable} to use the embedded server."),
        _ => throw new InvalidOperationException(
            $"{Variable}='{setting}' names no Redis server: use 'redis-server' (Debian's package) or 'embedded' (Garnet in the test process), or unset it."),
    };
}
