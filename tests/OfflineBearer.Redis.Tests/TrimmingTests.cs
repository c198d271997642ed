using System.Reflection;

namespace OfflineBearer.Redis.Tests;

/// <summary>The Redis store is built with <c>IsAotCompatible</c> (#11), so it is marked trimmable for the applications that publish it.</summary>
public sealed class TrimmingTests
{
    [Fact]
    public void The_store_tells_the_trimmer_it_is_trimmable()
    {
        var metadata = typeof(RedisTokenStoreOptions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>();

        Assert.Contains(metadata, m => m is { Key: "IsTrimmable", Value: "True" });
    }
}
