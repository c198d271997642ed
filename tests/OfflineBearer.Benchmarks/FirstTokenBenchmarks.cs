using System.Net.Http.Headers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Benchmarks.InMemory;
using OfflineBearer.Testing;

namespace OfflineBearer.Benchmarks;

/// <summary>
/// Time to the first token against the real development token server (OpenIddict, in-process, over sockets on
/// 127.0.0.1): OfflineBearer with <c>Authority</c> set, from a new service provider to the first request's token
/// (discovery, then the client_credentials grant), against the two round trips it cannot beat done by hand on a new
/// HttpClient (GET <c>/.well-known/openid-configuration</c>, then POST the same grant with the same Basic credentials).
/// Both open fresh connections every invocation (a new <see cref="SocketsHttpHandler"/>, disposed at the end); the
/// protected API is the in-memory <see cref="CachedOkApi"/>, so no third round trip is counted.
/// </summary>
/// <remarks>
/// Each case runs in its own process with its own server (BenchmarkDotNet's default), started in the global setup;
/// its RSA keys take seconds to make. The server stores every token it issues in its in-memory database, so both rows
/// issue about as many as their iterations need. The server runs in the benchmark's process, so "Allocated" counts its
/// allocations too: only the difference between the rows is the client's.
/// </remarks>
[MemoryDiagnoser]
public class FirstTokenBenchmarks : IAsyncDisposable
{
    private const string ClientName = "api";
    private static readonly AuthenticationHeaderValue Basic =
        new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{TestTokenServer.BasicClientId}:{TestTokenServer.BasicClientSecret}")));

    private TestTokenServer? _server;

    [GlobalSetup]
    public async Task SetUpAsync()
    {
        _server = await TestTokenServer.StartAsync(new TestTokenServerOptions { ConfigureLogging = _ => { } });

        // Both paths must get a token, or a row measures a failure.
        if (string.IsNullOrEmpty(await TwoRawRoundTrips()) || await OfflineBearerFirstToken() != 200)
        {
            throw new InvalidOperationException("A first-token path failed against the development server.");
        }
    }

    [GlobalCleanup]
    public async ValueTask DisposeAsync()
    {
        if (_server is { } server)
        {
            _server = null;
            await server.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Discovery and the grant by hand: the floor for any client that is given only the Authority.</summary>
    [Benchmark(Baseline = true)]
    public async Task<string> TwoRawRoundTrips()
    {
        using var transport = new SocketsHttpHandler { AllowAutoRedirect = false };
        using var http = new HttpClient(transport);

        using var discovery = await http.GetAsync(Server.DiscoveryEndpoint);
        discovery.EnsureSuccessStatusCode();
        string tokenEndpoint;
        using (var metadata = JsonDocument.Parse(await discovery.Content.ReadAsByteArrayAsync()))
        {
            tokenEndpoint = metadata.RootElement.GetProperty("token_endpoint").GetString()!;
        }

        using var grant = new HttpRequestMessage(HttpMethod.Post, tokenEndpoint)
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("scope", TestTokenServer.ApiScope)]),
        };
        grant.Headers.Authorization = Basic;
        using var answer = await http.SendAsync(grant);
        answer.EnsureSuccessStatusCode();
        using var token = JsonDocument.Parse(await answer.Content.ReadAsByteArrayAsync());
        return token.RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>A new provider, a named client with Authority set, its first request: discovery, grant, the API in memory.</summary>
    [Benchmark]
    public async Task<int> OfflineBearerFirstToken()
    {
        SocketsHttpHandler? transport = null;
        var services = new ServiceCollection();
        services.AddHttpClient(ClientName)
            .AddOfflineBearerHandler(o =>
            {
                o.Authority = Server.Authority.ToString();
                o.ClientId = TestTokenServer.BasicClientId;
                o.ClientSecret = TestTokenServer.BasicClientSecret;
                o.Scope = TestTokenServer.ApiScope;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new CachedOkApi());
        services.AddHttpClient(OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName(ClientName))
            .ConfigurePrimaryHttpMessageHandler(() => transport = new SocketsHttpHandler());

        try
        {
            await using var provider = services.BuildServiceProvider();
            using var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);
            var response = await PerRequestClients.SendAsync(client);
            return (int)response.StatusCode;
        }
        finally
        {
            transport?.Dispose();
        }
    }

    private TestTokenServer Server => _server ?? throw new InvalidOperationException("The development server is not started.");
}
