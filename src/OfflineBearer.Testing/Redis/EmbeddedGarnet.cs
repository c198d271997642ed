using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Garnet;
using Garnet.common;
using Garnet.server;

namespace OfflineBearer.Testing.Redis;

/// <summary>
/// One run of Microsoft Garnet, a Redis-compatible server, inside this process for a <see cref="RedisServer"/> in
/// embedded mode, so the Redis tests, the benchmarks and the fleet demo need only the .NET SDK. Like the
/// <c>redis-server</c> it stands in for: loopback only, nothing on disk (no storage tier, no append-only file, no
/// checkpoint), pub/sub on, and Lua scripting on, with each script run as a transaction (its keys locked), so the shared
/// token store's scripts are atomic as on Redis. No console logging and no banner: no logger factory, quiet mode.
/// <see cref="StopAsync"/> disposes the server, which closes its listener and every client connection, so clients see
/// what a SIGKILLed redis-server leaves them: a dropped connection and a refused port; a new run starts empty.
/// </summary>
internal sealed class EmbeddedGarnet : IRedisRun
{
    /// <summary>
    /// The in-memory log's ceiling (Garnet's default: 16 GB). Not much smaller: with no storage tier, records that fall out
    /// of the in-memory log are gone, and a ceiling of 1 MB lost a key written once before twenty thousand rounds of
    /// writes like the store's (DEL and HSET of a hash, SET NX PX and DEL of a lease), where 2 MB kept it; 64 MB holds
    /// some thirty times that, far more than a test run or a benchmark writes. Pages are allocated as the log reaches
    /// them, so an idle server costs about 20 MB of memory whatever this is.
    /// </summary>
    private const string LogMemorySize = "64m";

    /// <summary>One page of the log (Garnet's default: 16 MB); the log grows a page at a time.</summary>
    private const string PageSize = "1m";

    /// <summary>The hash index (Garnet's default: 128 MB): room for about a hundred thousand keys before it chains buckets.</summary>
    private const string IndexMemorySize = "1m";

    /// <summary>
    /// How long a start may take before it fails: Garnet answers PING in milliseconds, but its first start in a process
    /// also loads and compiles it, and the test process may be busy with the tests that run beside it.
    /// </summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>How long a stop may take: disposing the server closes its sockets in milliseconds.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly GarnetServer _server;
    private readonly int _port;

    private EmbeddedGarnet(GarnetServer server, int port)
    {
        _server = server;
        _port = port;
    }

    /// <summary>Starts a server on <paramref name="port"/> and returns once it answers PING.</summary>
    /// <exception cref="RedisPortTakenException">Another process listens on the port.</exception>
    /// <exception cref="InvalidOperationException">It did not answer PING within <see cref="StartTimeout"/>.</exception>
    public static async Task<EmbeddedGarnet> StartAsync(int port, CancellationToken cancellationToken)
    {
        // Garnet starts synchronously (a few milliseconds); off the caller's thread all the same.
        var clock = Stopwatch.StartNew();
        var started = await Task.Run(() => Start(port), cancellationToken).ConfigureAwait(false);
        try
        {
            // The same readiness probe as for redis-server, over TCP: the listener is up and the RESP path answers.
            while (!await RedisPing.AnswersAsync(port, cancellationToken).ConfigureAwait(false))
            {
                if (clock.Elapsed > StartTimeout)
                {
                    throw new InvalidOperationException(
                        $"The embedded Garnet server on port {port} started but did not answer PING within {StartTimeout.TotalSeconds} s.");
                }

                await Task.Delay(ProbeInterval, cancellationToken).ConfigureAwait(false);
            }

            return started;
        }
        catch
        {
            await started.StopAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Disposes the server: its listener and every client connection close, and its store is gone.</summary>
    /// <exception cref="InvalidOperationException">Disposing did not end within <see cref="StopTimeout"/>.</exception>
    public async Task StopAsync()
    {
        try
        {
            await Task.Run(_server.Dispose).WaitAsync(StopTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException(
                $"The embedded Garnet server on port {_port} did not stop within {StopTimeout.TotalSeconds} s.");
        }
    }

    private static EmbeddedGarnet Start(int port)
    {
        var options = new GarnetServerOptions
        {
            EndPoints = [new IPEndPoint(IPAddress.Loopback, port)],
            EnableLua = true,
            LuaTransactionMode = true,
            LuaOptions = new LuaOptions(),
            QuietMode = true,
            LogMemorySize = LogMemorySize,
            PageSize = PageSize,
            IndexMemorySize = IndexMemorySize,
        };
        GarnetServer? server = null;
        try
        {
            // No logger factory: Garnet logs nothing (given none, it makes no console logger of its own).
            server = new GarnetServer(options);
            server.Start();
            return new EmbeddedGarnet(server, port);
        }
        catch (GarnetException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
        {
            server?.Dispose();
            throw new RedisPortTakenException($"The embedded Garnet server could not listen on port {port}: {e.Message}", e);
        }
        catch
        {
            server?.Dispose();
            throw;
        }
    }
}
