using System.Net;
using System.Net.Http.Headers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OfflineBearer.Internal;

namespace OfflineBearer.Benchmarks;

/// <summary>
/// The cost a request pays for OfflineBearer while the cached token is fresh: the handler against a handler that sets
/// a constant header (the least any bearer scheme can do) and against no handler at all.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks : IDisposable
{
    private static readonly Uri Api = new("https://api.test/items");
    private static readonly AuthenticationHeaderValue Constant = new("Bearer", "constant");

    private ServiceProvider? _services;
    private HttpMessageInvoker _none = null!;
    private HttpMessageInvoker _constantHeader = null!;
    private HttpMessageInvoker _offlineBearer = null!;

    [GlobalSetup]
    public async Task SetUp()
    {
        var services = new ServiceCollection();
        services.AddHttpClient("api").AddOfflineBearerHandler(o =>
        {
            o.TokenEndpoint = new Uri("https://sso.test/token");
            o.ClientId = "bench";
            o.ClientSecret = "secret";
        });
        services.AddHttpClient(OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName("api"))
            .ConfigurePrimaryHttpMessageHandler(() => new TokenEndpoint());
        _services = services.BuildServiceProvider();
        var holder = _services.GetRequiredService<TokenHolderRegistry>().Get("api");
        await holder.GetTokenAsync(CancellationToken.None);

        _none = new HttpMessageInvoker(new Ok());
        _constantHeader = new HttpMessageInvoker(new SetsHeader { InnerHandler = new Ok() });
        _offlineBearer = new HttpMessageInvoker(new OfflineBearerHandler(holder, NullLogger.Instance) { InnerHandler = new Ok() });
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _none.Dispose();
        _constantHeader.Dispose();
        _offlineBearer.Dispose();
        _services?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public Task<HttpResponseMessage> NoHandler() => Send(_none);

    [Benchmark]
    public Task<HttpResponseMessage> ConstantHeader() => Send(_constantHeader);

    [Benchmark]
    public Task<HttpResponseMessage> OfflineBearerFreshToken() => Send(_offlineBearer);

    private static async Task<HttpResponseMessage> Send(HttpMessageInvoker invoker)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Api);
        return await invoker.SendAsync(request, CancellationToken.None);
    }

    /// <summary>The API: one shared answer, so only the pipeline's own cost is measured.</summary>
    private sealed class Ok : HttpMessageHandler
    {
        private static readonly Task<HttpResponseMessage> Answer = Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Answer;
    }

    private sealed class SetsHeader : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = Constant;
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Issues one opaque token that lives a year, so the benchmark never refreshes.</summary>
    private sealed class TokenEndpoint : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent("{\"access_token\":\"opaque\",\"token_type\":\"Bearer\",\"expires_in\":31536000}", Encoding.UTF8, "application/json"),
            });
    }
}
