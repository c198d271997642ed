using Microsoft.Extensions.Diagnostics.HealthChecks;
using OfflineBearer;
using OfflineBearer.Caching;
using OfflineBearer.Health;
using OfflineBearer.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds a health check per OfflineBearer client: whether it holds a valid token and whether its refreshes succeed.</summary>
public static class OfflineBearerHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds one check named <c>offlinebearer:{client}</c> per client (every client registered with
    /// <c>AddOfflineBearerHandler</c>, or those in <see cref="OfflineBearerHealthCheckOptions.ClientNames"/>): Healthy
    /// while it holds a valid token and its refreshes succeed, Degraded while refreshes fail but the token is still
    /// valid, Unhealthy when no valid token can be had, and at once when the server has refused the client's
    /// credentials for good. A check makes no token request unless <see cref="OfflineBearerHealthCheckOptions.RequestToken"/> is set.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configure">Sets which clients are checked and how; null for every client.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IHealthChecksBuilder AddOfflineBearer(this IHealthChecksBuilder builder, Action<OfflineBearerHealthCheckOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);

        var options = new OfflineBearerHealthCheckOptions();
        configure?.Invoke(options);

        // The clients are known once every AddOfflineBearerHandler has run, which may be after this line.
        builder.Services.AddOptions<HealthCheckServiceOptions>().Configure<IEnumerable<OfflineBearerClientName>>((health, clients) =>
        {
            var names = options.ClientNames.Count > 0 ? options.ClientNames : clients.Select(client => client.Name).Distinct(StringComparer.Ordinal);
            foreach (var name in names)
            {
                health.Registrations.Add(new HealthCheckRegistration(
                    $"offlinebearer:{name}",
                    sp => new OfflineBearerHealthCheck(sp.GetRequiredService<TokenHolderRegistry>(), name, options.RequestToken, sp.GetRequiredService<TimeProvider>()),
                    failureStatus: null,
                    tags: options.Tags));
            }
        });
        return builder;
    }
}
