using System.Reflection;

namespace OfflineBearer.Tests;

/// <summary>Keeps the public surface small and honest as the library grows.</summary>
public sealed class ConventionTests
{
    private static readonly Type[] PublicTypes = typeof(OfflineBearerOptions).Assembly.GetExportedTypes();

    [Fact]
    public void Public_concrete_types_are_sealed_or_static()
    {
        var open = PublicTypes.Where(t => t.IsClass && !t.IsAbstract && !t.IsSealed).Select(t => t.FullName);

        Assert.Empty(open);
    }

    [Fact]
    public void Implementation_types_are_internal()
    {
        // A feature folder's namespace holds its implementation; public types stay in the root namespace (or DI's).
        var leaked = PublicTypes.Where(t => t.Namespace is not ("OfflineBearer" or "Microsoft.Extensions.DependencyInjection")).Select(t => t.FullName);

        Assert.Empty(leaked);
    }

    [Fact]
    public void Public_async_methods_end_in_Async_and_take_a_cancellation_token_last()
    {
        var methods = PublicTypes
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => typeof(Task).IsAssignableFrom(m.ReturnType) || m.ReturnType.Name.StartsWith("ValueTask", StringComparison.Ordinal));

        Assert.All(methods, m =>
        {
            Assert.EndsWith("Async", m.Name, StringComparison.Ordinal);
            Assert.Equal(typeof(CancellationToken), m.GetParameters().LastOrDefault()?.ParameterType);
        });
    }

    [Fact]
    public void The_public_surface_is_what_the_readme_documents()
    {
        var names = PublicTypes.Select(t => t.Name).Order(StringComparer.Ordinal);

        Assert.Equal(
            [
                "ClientAuthenticationMethod", "IRefreshTokenStore", "ISharedTokenStore", "OfflineBearerDiagnostics", "OfflineBearerException", "OfflineBearerGrant",
                "OfflineBearerHealthCheckOptions", "OfflineBearerHealthChecksBuilderExtensions", "OfflineBearerHttpClientBuilderExtensions",
                "OfflineBearerOptions", "OfflineBearerServiceCollectionExtensions", "SharedTokenState",
            ],
            names);
    }
}
