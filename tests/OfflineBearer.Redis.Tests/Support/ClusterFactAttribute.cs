using OfflineBearer.Testing.Redis;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>
/// A test against a <see cref="RedisCluster"/>: skipped, saying why, when <c>redis-server</c> is not installed. The
/// only Redis tests allowed to skip: a cluster needs six real redis-server processes, which nothing embedded replaces.
/// </summary>
public sealed class ClusterFactAttribute : FactAttribute
{
    public ClusterFactAttribute()
    {
        Skip = ClusterSkip.Reason;
    }
}

/// <summary>A <see cref="ClusterFactAttribute"/> with data.</summary>
public sealed class ClusterTheoryAttribute : TheoryAttribute
{
    public ClusterTheoryAttribute()
    {
        Skip = ClusterSkip.Reason;
    }
}

internal static class ClusterSkip
{
    /// <summary>Null when redis-server is on PATH; else why the cluster tests do not run.</summary>
    public static string? Reason { get; } = RedisServer.FindExecutable() is null
        ? "Redis Cluster tests need redis-server on PATH (apt-get install -y redis-server); it is not installed."
        : null;
}
