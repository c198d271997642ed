using Microsoft.Extensions.DependencyInjection.Extensions;
using OfflineBearer;
using OfflineBearer.Stores;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses where OfflineBearer keeps refresh tokens.</summary>
public static class OfflineBearerServiceCollectionExtensions
{
    /// <summary>
    /// Keeps each client's current refresh token in a file of <paramref name="directory"/>, so an offline token
    /// survives restarts: written atomically, owner-only on Unix, one file per client name, and protected with ASP.NET
    /// Core Data Protection when an <c>IDataProtectionProvider</c> is registered.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="directory">The directory; created (owner-only) if missing.</param>
    /// <returns>The same service collection, for chaining.</returns>
    public static IServiceCollection AddOfflineBearerFileStore(this IServiceCollection services, string directory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);

        return services.Replace(ServiceDescriptor.Singleton<IRefreshTokenStore>(sp => new FileRefreshTokenStore(directory, TokenProtection.From(sp))));
    }
}
