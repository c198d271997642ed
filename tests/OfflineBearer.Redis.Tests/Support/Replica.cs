using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>One replica of a service: its own service provider, factory and holder, sharing tokens through Redis.</summary>
internal sealed class Replica : IAsyncDisposable
{
    public const string ClientName = "inventory";

    private readonly ServiceProvider _services;

    public Replica(
        IFleetFixture fleet,
        string keyPrefix,
        Action<OfflineBearerOptions>? configure = null,
        Action<Redis.RedisTokenStoreOptions>? redis = null,
        Action<IServiceCollection>? more = null,
        TestTokenServer? server = null,
        TimeProvider? time = null)
    {
        server ??= fleet.TestTokenServer;
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time ?? fleet.Time);
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Debug));
        services.AddFakeLogging();
        services.AddOfflineBearerRedis(o =>
        {
            o.Configuration = fleet.RedisConfiguration;
            o.KeyPrefix = keyPrefix;
            redis?.Invoke(o);
        });
        services.AddHttpClient(ClientName, c => c.BaseAddress = server.ApiUrl)
            .AddOfflineBearerHandler(o =>
            {
                o.Authority = server.Authority.ToString();
                o.ClientId = TestTokenServer.BasicClientId;
                o.ClientSecret = TestTokenServer.BasicClientSecret;
                o.Scope = $"offline_access {TestTokenServer.ApiScope}";
                configure?.Invoke(o);
            });
        more?.Invoke(services);
        _services = services.BuildServiceProvider();
        Client = _services.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);
    }

    public HttpClient Client { get; }

    /// <summary>A public client (no secret) that starts from <paramref name="offlineToken"/>, obtained out of band.</summary>
    public static Action<OfflineBearerOptions> PublicClient(string offlineToken) => o =>
    {
        o.ClientId = TestTokenServer.PublicClientId;
        o.ClientSecret = null;
        o.Scope = null;
        o.RefreshToken = offlineToken;
    };

    /// <summary>Puts <paramref name="handler"/> in front of this replica's token endpoint.</summary>
    public static Action<IServiceCollection> AtTokenEndpoint(DelegatingHandler handler) => services => services
        .AddHttpClient(OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName(ClientName))
        .AddHttpMessageHandler(() => handler);

    public FakeLogCollector Logs => _services.GetFakeLogCollector();

    public async Task<HttpStatusCode> PingAsync()
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await Client.GetAsync(new Uri("ping", UriKind.Relative), guard.Token);
        return response.StatusCode;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _services.DisposeAsync();
    }
}
