namespace OfflineBearer.Testing.Redis;

/// <summary>Which server a <see cref="RedisServer"/> runs; both keep the same contract, so a test does not need to know.</summary>
public enum RedisServerKind
{
    /// <summary>Debian's <c>redis-server</c>, run as a child process.</summary>
    RedisServer,

    /// <summary>
    /// Microsoft Garnet, a Redis-compatible server, run inside this process with Lua scripting on; the kind used where
    /// <c>redis-server</c> is not installed, so the Redis tests need only the .NET SDK.
    /// </summary>
    Embedded,
}
