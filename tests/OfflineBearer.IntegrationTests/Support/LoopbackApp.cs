using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace OfflineBearer.IntegrationTests.Support;

/// <summary>A minimal Kestrel application on a free loopback port, for tests that need a second, plain HTTP server.</summary>
internal sealed class LoopbackApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackApp(WebApplication app)
    {
        _app = app;
        Url = new Uri(app.Urls.Single());
    }

    /// <summary>The base address with the real port, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Url { get; }

    public static async Task<LoopbackApp> StartAsync(Action<IEndpointRouteBuilder> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();

        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return new LoopbackApp(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
