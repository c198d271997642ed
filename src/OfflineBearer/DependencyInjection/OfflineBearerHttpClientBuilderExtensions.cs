using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OfflineBearer;
using OfflineBearer.Caching;
using OfflineBearer.Diagnostics;
using OfflineBearer.Handler;
using OfflineBearer.Options;
using OfflineBearer.Stores;
using OfflineBearer.TokenEndpoint;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Adds OfflineBearer to a named <see cref="HttpClient"/>: every request of that client carries a bearer token that
/// is obtained, cached, refreshed before it expires and renewed once on a 401, shared by all requests of the client.
/// </summary>
public static class OfflineBearerHttpClientBuilderExtensions
{
    /// <summary>Adds the bearer handler to the client, with options set in code.</summary>
    /// <param name="builder">The builder of the named client.</param>
    /// <param name="configure">Sets the options of this client.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IHttpClientBuilder AddOfflineBearerHandler(this IHttpClientBuilder builder, Action<OfflineBearerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);

        builder.Services.AddOptions<OfflineBearerOptions>(builder.Name).Configure(configure);
        return AddHandler(builder);
    }

    /// <summary>Adds the bearer handler to the client, with options bound from a configuration section.</summary>
    /// <param name="builder">The builder of the named client.</param>
    /// <param name="section">The section whose keys are the names of <see cref="OfflineBearerOptions"/> properties.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IHttpClientBuilder AddOfflineBearerHandler(this IHttpClientBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);

        builder.Services.AddOptions<OfflineBearerOptions>(builder.Name).Bind(section).Configure(options => ClearEmptyValues(section, options));
        return AddHandler(builder);
    }

    /// <summary>
    /// The name of the <see cref="HttpClient"/> that carries the token requests of the client named
    /// <paramref name="clientName"/>. Configure it for a proxy or a client certificate:
    /// <c>services.AddHttpClient(OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName("inventory")).ConfigurePrimaryHttpMessageHandler(…)</c>.
    /// Whatever handler it gets, it never follows a redirect.
    /// </summary>
    /// <param name="clientName">The name of the client that has <c>AddOfflineBearerHandler</c>.</param>
    /// <returns>The name of its token endpoint client.</returns>
    public static string TokenEndpointClientName(string clientName)
    {
        ArgumentNullException.ThrowIfNull(clientName);
        return TokenEndpointHttpClient.Name(clientName);
    }

    /// <summary>
    /// The binding source generator leaves an option as it was when its value is empty, where reflection-based binding
    /// cleared it (dotnet/runtime#132968): <c>"KeepAliveInterval": ""</c> has always turned the keep-alive off, and still does.
    /// </summary>
    private static void ClearEmptyValues(IConfiguration section, OfflineBearerOptions options)
    {
        if (section[nameof(OfflineBearerOptions.TokenEndpoint)] is "")
        {
            options.TokenEndpoint = null;
        }

        if (section[nameof(OfflineBearerOptions.KeepAliveInterval)] is "")
        {
            options.KeepAliveInterval = null;
        }
    }

    private static IHttpClientBuilder AddHandler(IHttpClientBuilder builder)
    {
        var name = builder.Name;
        var services = builder.Services;

        services.AddOptionsWithValidateOnStart<OfflineBearerOptions, OfflineBearerOptionsValidator>(name);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TokenHolderRegistry>();
        services.TryAddSingleton(sp => new OfflineBearerMetrics(sp.GetRequiredService<TimeProvider>(), sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<IRefreshTokenStore, InMemoryRefreshTokenStore>();
        services.AddSingleton(new OfflineBearerClientName(name));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OfflineBearerKeepAlive>());

        // The token endpoint gets a client of its own, so it never passes through this handler.
        TokenEndpointHttpClient.Register(services, name);

        // The handler is recreated whenever the factory recycles the pipeline; the holder (and its token) is not.
        return builder.AddHttpMessageHandler(sp => new OfflineBearerHandler(
            sp.GetRequiredService<TokenHolderRegistry>().Get(name),
            sp.GetService<ILoggerFactory>()?.CreateLogger(Log.Category) ?? NullLogger.Instance));
    }
}
