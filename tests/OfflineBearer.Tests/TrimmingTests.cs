using System.Reflection;

namespace OfflineBearer.Tests;

/// <summary>
/// The library is built with <c>IsAotCompatible</c> (#11), which turns on the trim, AOT and single-file analyzers for
/// every build and marks the assembly trimmable for the applications that publish it trimmed or as a native binary.
/// </summary>
public sealed class TrimmingTests
{
    [Fact]
    public void The_library_tells_the_trimmer_it_is_trimmable()
    {
        var metadata = typeof(OfflineBearerOptions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>();

        Assert.Contains(metadata, m => m is { Key: "IsTrimmable", Value: "True" });
    }
}
