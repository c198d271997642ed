using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using TokenServer = OfflineBearer.Testing.TestTokenServer;

namespace OfflineBearer.Demo;

/// <summary>
/// The named client every demo calls through, in one place so that each replica of the fleet demo is registered
/// exactly as the single demo's client is.
/// </summary>
internal static class DemoClient
{
    public const string Name = "demo-api";

    /// <summary>Short enough that a demo run of 16 s sees several refreshes.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromSeconds(6);

    /// <summary>The embedded server's confidential client; RefreshBeforeExpiry is 1 s because the default, 60 s, is longer than the demo's tokens live.</summary>
    public static void ForDevServer(OfflineBearerOptions o, TokenServer server)
    {
        o.Authority = server.Authority.ToString();
        o.ClientId = TokenServer.BasicClientId;
        o.ClientSecret = TokenServer.BasicClientSecret;
        o.Scope = "offline_access api";
        o.RefreshBeforeExpiry = TimeSpan.FromSeconds(1);
    }

    /// <summary>A service provider with the client; <paramref name="addMore"/> adds services next to it, such as the Redis store.</summary>
    public static ServiceProvider Build(DemoConsole console, Uri api, Action<OfflineBearerOptions> configure, Action<IServiceCollection>? addMore = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.ClearProviders().AddProvider(console).AddFilter((category, _) => category == "OfflineBearer"));
        services.AddHttpClient(Name, c => c.BaseAddress = api).AddOfflineBearerHandler(configure);
        services.AddHealthChecks().AddOfflineBearer();
        addMore?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    /// <summary>What a health probe would see: the check reads the client's state and asks the token server nothing.</summary>
    public static async Task ShowHealthAsync(IServiceProvider services, DemoConsole console)
    {
        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        foreach (var (name, entry) in report.Entries)
        {
            console.Line("health", $"{name}: {entry.Status}. {entry.Description}");
        }
    }
}
