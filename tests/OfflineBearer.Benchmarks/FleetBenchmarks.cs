using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Testing.Redis;

namespace OfflineBearer.Benchmarks;

/// <summary>
/// One token expiry under load, for a fleet of replicas (separate service providers of the same service): every
/// replica's cached token has just expired and each sends a burst of <see cref="RequestsPerReplica"/> concurrent requests
/// through its named client. <see cref="ExpiredTokenBurst"/> measures the whole burst, the refresh included; with
/// <see cref="Redis"/> the fleet shares its token on a real Redis server (lease, wait, adopt: one replica asks the token
/// server, the others take its token), without it each replica refreshes alone. The server is <c>redis-server</c> where it
/// is installed, else Garnet embedded in the benchmark's own process (<see cref="RedisServer.StartAsync(CancellationToken)"/>;
/// <c>OFFLINEBEARER_TEST_REDIS</c> chooses), where it shares the CPU with the burst: compare timings of one kind only.
/// <see cref="FreshTokenBurst"/> is the same burst with fresh tokens, so the ratio is what the refresh adds. The
/// columns <c>TokenReq/expiry</c>, <c>MaxTokenReq</c> and <c>RT reuses</c> say what the fake token server received.
/// </summary>
/// <remarks>
/// The replicas share one <see cref="FakeTimeProvider"/>: each iteration of <see cref="ExpiredTokenBurst"/> starts by
/// moving it past the token's lifetime, so no iteration waits for a token to expire. Nothing moves it during a burst:
/// the fleet's waits are on that clock and end through Redis pub/sub; the lease's TTL in Redis is real time and the
/// lease is released after each refresh. The token server and the API are in-process handlers that answer at once, so
/// the refresh's cost here is the library's and Redis's, not a token server's.
/// <para>
/// One iteration is one burst, one expiry (<c>invocationCount: 1</c>; BenchmarkDotNet's MinIterationTime warning is
/// expected). The refresh path runs once per replica per iteration, so 30 warm-up iterations let it reach tier-1 code
/// like the per-request path; the 16 cases take under a minute on a 2-core machine.
/// </para>
/// </remarks>
[SimpleJob(launchCount: 1, warmupCount: 30, iterationCount: 50, invocationCount: 1)]
[Config(typeof(FleetBenchmarkConfig))]
public class FleetBenchmarks : IAsyncDisposable
{
    /// <summary>Concurrent requests each replica sends per burst.</summary>
    public const int RequestsPerReplica = 50;

    private const string ClientName = "api";
    private static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromMinutes(10);

    /// <summary>Real time: a burst that hangs (a lost wake-up would wait on the fake clock forever) fails the case instead.</summary>
    private static readonly TimeSpan BurstTimeout = TimeSpan.FromSeconds(30);

    private static readonly Uri Api = new("https://api.test/items");
    private static readonly Uri TokenEndpointUri = new("https://sso.test/token");

    private readonly FakeTimeProvider _time = new();
    private readonly List<int> _requestsPerExpiry = [];
    private FakeTokenServer _tokenServer = null!;
    private RedisServer? _redis;
    private ServiceProvider[] _replicas = [];
    private HttpClient[] _clients = [];
    private string _method = "none";
    private int _requestsBefore;
    private bool _burstRan;

    [Params(1, 2, 4, 8)]
    public int Replicas { get; set; }

    [Params(false, true)]
    public bool Redis { get; set; }

    [GlobalSetup]
    public async Task SetUpAsync()
    {
        _tokenServer = new FakeTokenServer(_time);
        _redis = Redis
            ? await RedisServer.StartAsync(CancellationToken.None)
            : null;
        var keyPrefix = $"offlinebearer-bench:{Guid.NewGuid():N}:";

        _replicas = new ServiceProvider[Replicas];
        _clients = new HttpClient[Replicas];
        for (var i = 0; i < Replicas; i++)
        {
            var services = new ServiceCollection();
            services.AddSingleton<TimeProvider>(_time);
            if (_redis is { } redis)
            {
                services.AddOfflineBearerRedis(o =>
                {
                    o.Configuration = redis.Configuration;
                    o.KeyPrefix = keyPrefix;
                });
            }

            services.AddHttpClient(ClientName)
                .AddOfflineBearerHandler(o =>
                {
                    o.TokenEndpoint = TokenEndpointUri;
                    o.ClientId = "bench";
                    o.ClientSecret = "secret";
                })
                .ConfigurePrimaryHttpMessageHandler(() => new FakeApi());
            var tokenServer = _tokenServer;
            services.AddHttpClient(OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName(ClientName))
                .ConfigurePrimaryHttpMessageHandler(() => new FakeTokenEndpoint(tokenServer));
            _replicas[i] = services.BuildServiceProvider();
            _clients[i] = _replicas[i].GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);
        }

        // Every replica gets its first token (with Redis the first asks and the others adopt it) and its Redis
        // connection, so the first iteration meets the same fleet as the last.
        using var timeout = new CancellationTokenSource(BurstTimeout);
        foreach (var client in _clients)
        {
            await CallAsync(client, timeout.Token);
        }
    }

    [IterationSetup(Target = nameof(ExpiredTokenBurst))]
    public void ExpireTokens()
    {
        _method = nameof(ExpiredTokenBurst);
        _time.Advance(AccessTokenLifetime);
        StartCounting();
    }

    [IterationSetup(Target = nameof(FreshTokenBurst))]
    public void KeepTokens()
    {
        _method = nameof(FreshTokenBurst);
        StartCounting();
    }

    [IterationCleanup]
    public void StopCounting()
    {
        if (_burstRan)
        {
            _requestsPerExpiry.Add(_tokenServer.Requests - _requestsBefore);
        }
    }

    /// <summary>The same burst while every replica's token is fresh: the baseline, no token request.</summary>
    [Benchmark(Baseline = true)]
    public Task FreshTokenBurst() => BurstAsync();

    /// <summary>The burst right after every replica's token expired: one refresh per replica, or one for the fleet.</summary>
    [Benchmark]
    public Task ExpiredTokenBurst() => BurstAsync();

    [GlobalCleanup]
    public async Task CleanUpAsync()
    {
        var tally = new TokenRequestTally(
            _requestsPerExpiry.Count == 0 ? 0 : _requestsPerExpiry.Average(),
            _requestsPerExpiry.Count == 0 ? 0 : _requestsPerExpiry.Max(),
            _requestsPerExpiry.Count,
            _tokenServer.RefreshTokenReuses);
        tally.Write(TokenRequestTally.Key(_method, Replicas, Redis));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"// {_method}, {Replicas} replica(s), {(Redis ? "Redis" : "alone")}: token requests per expiry " +
            $"[{string.Join(' ', _requestsPerExpiry)}] over {tally.Expiries} iterations, mean {tally.MeanPerExpiry:0.00}; " +
            $"refresh token reuses {tally.RefreshTokenReuses}"));
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }

        _clients = [];
        _replicas = [];
        if (_redis is { } redis)
        {
            _redis = null;
            await redis.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    private void StartCounting()
    {
        _requestsBefore = _tokenServer.Requests;
        _burstRan = false;
    }

    private async Task BurstAsync()
    {
        _burstRan = true;
        using var timeout = new CancellationTokenSource(BurstTimeout);
        var calls = new Task[_clients.Length * RequestsPerReplica];
        var next = 0;
        for (var i = 0; i < RequestsPerReplica; i++)
        {
            // Interleaved, so the replicas meet the expiry together.
            foreach (var client in _clients)
            {
                calls[next++] = CallAsync(client, timeout.Token);
            }
        }

        await Task.WhenAll(calls);
    }

    private static async Task CallAsync(HttpClient client, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(Api, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"The API answered {(int)response.StatusCode}.");
        }
    }

    /// <summary>The protected API: 200 to a request with a bearer token, 401 without one.</summary>
    private sealed class FakeApi : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(
                request.Headers.Authorization is { Scheme: "Bearer", Parameter.Length: > 0 } ? HttpStatusCode.OK : HttpStatusCode.Unauthorized));
    }

    /// <summary>The token endpoint of <see cref="FakeTokenServer"/>; one per handler chain the factory builds.</summary>
    private sealed class FakeTokenEndpoint(FakeTokenServer server) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var form = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(server.Answer(form), Encoding.UTF8, "application/json"),
            };
        }
    }

    /// <summary>
    /// The token server the whole fleet shares: counts token requests, issues unsigned JWTs with <c>iat</c>/<c>exp</c> on
    /// the fake clock and a new refresh token every time (rotation), and counts refresh tokens redeemed twice.
    /// </summary>
    private sealed class FakeTokenServer(TimeProvider time)
    {
        private static readonly string Header = Base64Url("""{"alg":"RS256","typ":"JWT"}""");
        private static readonly string Signature = Base64Url("unsigned");

        private readonly ConcurrentDictionary<string, byte> _redeemed = new(StringComparer.Ordinal);
        private int _requests;
        private int _reuses;

        public int Requests => Volatile.Read(ref _requests);

        public int RefreshTokenReuses => Volatile.Read(ref _reuses);

        public string Answer(string form)
        {
            var serial = Interlocked.Increment(ref _requests);
            if (FormValue(form, "refresh_token") is { } redeemed && !_redeemed.TryAdd(redeemed, 0))
            {
                Interlocked.Increment(ref _reuses);
            }

            var lifetime = (long)AccessTokenLifetime.TotalSeconds;
            var iat = time.GetUtcNow().ToUnixTimeSeconds();
            var payload = Base64Url(string.Create(CultureInfo.InvariantCulture, $$"""{"sub":"bench","jti":"t{{serial}}","iat":{{iat}},"exp":{{iat + lifetime}}}"""));
            return string.Create(
                CultureInfo.InvariantCulture,
                $$"""{"access_token":"{{Header}}.{{payload}}.{{Signature}}","token_type":"Bearer","expires_in":{{lifetime}},"refresh_token":"rt-{{serial}}"}""");
        }

        private static string? FormValue(string form, string name)
        {
            foreach (var pair in form.Split('&'))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0 && pair.AsSpan(0, equals).SequenceEqual(name))
                {
                    return Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
                }
            }

            return null;
        }

        private static string Base64Url(string text) =>
            Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
