using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Testing;
using OfflineBearer.Testing.Redis;
using TokenServer = OfflineBearer.Testing.TestTokenServer;

namespace OfflineBearer.Demo;

/// <summary>
/// <c>--replicas N</c>: N replicas of one service, each with its own service provider as separate processes would have,
/// share the demo client's token on a Redis server the demo starts: Debian's <c>redis-server</c> where it is installed,
/// else Garnet embedded in the demo's process (<see cref="RedisServer.StartAsync(CancellationToken)"/>; set
/// <c>OFFLINEBEARER_TEST_REDIS</c> to <c>redis-server</c> or <c>embedded</c> to choose). Per expiry one replica asks the
/// token server and the others adopt its token from Redis; the token server, which rotates refresh tokens and refuses
/// reuse, counts the rest.
/// </summary>
internal static class FleetDemo
{
    private const string KeyPrefix = "offlinebearer-demo:";

    /// <summary>The single demo's pace and length: a call every half second for 16 s, here spread over the replicas.</summary>
    private static readonly TimeSpan CallInterval = TimeSpan.FromSeconds(0.5);

    private const int Calls = 32;

    public static async Task<int> RunAsync(int count, DemoConsole console)
    {
        // Ctrl+C and SIGTERM cancel the run instead of ending the process, so the Redis server is stopped (a redis-server
        // killed and its directory deleted).
        using var stop = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        try
        {
            return await RunAsync(count, console, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.Error.WriteLine("Stopped; the Redis server was stopped and left nothing behind.");
            return 130;
        }
    }

    private static async Task<int> RunAsync(int count, DemoConsole console, CancellationToken cancellationToken)
    {
        RedisServer started;
        try
        {
            started = await RedisServer.StartAsync(cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"Redis did not start: {e.Message}");
            return 1;
        }

        await using var redis = started;
        await using var server = await TokenServer.StartAsync(new TestTokenServerOptions { AccessTokenLifetime = DemoClient.TokenLifetime }, cancellationToken);
        console.Restart();
        Console.WriteLine($"OfflineBearer fleet demo: {count} replicas (separate service providers) share one token on Redis; the handler does all the token work.");
        Console.WriteLine($"  token server  {server.Authority} (OpenIddict; access tokens live {DemoClient.TokenLifetime.TotalSeconds} s; refresh tokens rotate, reuse is refused)");
        Console.WriteLine($"  client        {TokenServer.BasicClientId} (client_secret_basic), scope 'offline_access api', the same on every replica");
        var kind = redis.Kind == RedisServerKind.Embedded ? "Garnet embedded in this process" : "redis-server";
        Console.WriteLine($"  redis         {redis.Configuration} ({kind}; no persistence), key prefix '{KeyPrefix}'");
        Console.WriteLine();

        var replicas = new List<Replica>();
        try
        {
            for (var number = 1; number <= count; number++)
            {
                replicas.Add(new Replica(console.ForReplica(number), server, redis));
            }

            var failures = 0;
            for (var call = 1; call <= Calls; call++)
            {
                failures += await replicas[(call - 1) % count].CallAsync(call, cancellationToken) ? 0 : 1;
                await Task.Delay(CallInterval, cancellationToken);
            }

            // Each replica needs every new token, by its own request or by adoption, so the most tokens one replica went
            // through counts the expiries. Replicas that did not share would each make about that many requests.
            var stats = server.Ledger;
            var requests = stats.TokenRequests();
            var expiries = replicas.Max(r => r.Output.TokenRequests + r.Output.Adoptions);
            Console.WriteLine();
            Console.WriteLine(
                $"Summary: {count} replicas, {Calls} calls, {failures} failed; token requests: {stats.TokenRequests(grant: "client_credentials")} client_credentials, " +
                $"{stats.TokenRequests(grant: "refresh_token")} refresh_token; {replicas.Sum(r => r.Output.Adoptions)} adoptions; " +
                $"{requests} token requests for {expiries} expiries ({(double)requests / expiries:0.0} per expiry, where replicas that did not share would make {count}); " +
                $"reused refresh tokens at the server: {stats.ReusedRefreshTokens}.");
            return failures == 0 && stats.ReusedRefreshTokens == 0 ? 0 : 1;
        }
        finally
        {
            // Before the Redis server goes, so no replica is left reconnecting to a dead server.
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    /// <summary>One replica: its own service provider with the Redis store and the demo client, as a separate process would have.</summary>
    private sealed class Replica : IAsyncDisposable
    {
        private readonly ServiceProvider _services;
        private readonly HttpClient _client;

        public Replica(DemoConsole console, TokenServer server, RedisServer redis)
        {
            Output = console;
            _services = DemoClient.Build(console, server.ApiUrl, o => DemoClient.ForDevServer(o, server), services =>
                services.AddOfflineBearerRedis(o =>
                {
                    o.Configuration = redis.Configuration;
                    o.KeyPrefix = KeyPrefix;
                }));
            _client = _services.GetRequiredService<IHttpClientFactory>().CreateClient(DemoClient.Name);
        }

        public DemoConsole Output { get; }

        /// <summary>One GET; a failure is counted and shown, not thrown, so the summary covers the whole run.</summary>
        public async Task<bool> CallAsync(int number, CancellationToken cancellationToken)
        {
            try
            {
                using var response = await _client.GetAsync(new Uri("ping", UriKind.Relative), cancellationToken);
                Output.Line("call", $"#{number,-3} GET ping -> {(int)response.StatusCode} {response.ReasonPhrase}");
                return response.IsSuccessStatusCode;
            }
            catch (Exception e) when (e is OfflineBearerException or HttpRequestException)
            {
                Output.Line("call", $"#{number,-3} GET ping -> failed: {e.Message}");
                return false;
            }
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await _services.DisposeAsync();
        }
    }
}
