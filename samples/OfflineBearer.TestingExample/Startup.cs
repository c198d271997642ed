using Microsoft.Extensions.DependencyInjection;

namespace OfflineBearer.TestingExample;

/// <summary>The service's start-up: the inventory client with the OfflineBearer handler, and where refresh tokens live.</summary>
public static class Startup
{
    public static IServiceCollection AddInventory(this IServiceCollection services, Uri apiUrl, Action<OfflineBearerOptions> tokens, string? tokenDirectory = null)
    {
        services.AddSingleton<InventoryClient>();
        services.AddHttpClient(InventoryClient.ClientName, client => client.BaseAddress = apiUrl).AddOfflineBearerHandler(tokens);
        if (tokenDirectory is not null)
        {
            services.AddOfflineBearerFileStore(tokenDirectory);
        }

        return services;
    }
}
