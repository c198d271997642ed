using System.Net.Sockets;

namespace OfflineBearer.Testing.Redis;

/// <summary>The readiness probe of <see cref="RedisServer"/>: a PING (<see cref="RedisCommand"/>) answered <c>PONG</c>.</summary>
internal static class RedisPing
{
    /// <summary>Bound on one probe (connect, PING, read the answer).</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>One bounded probe of the server on a loopback port.</summary>
    /// <returns>Whether it answered <c>PONG</c>; false when it is not listening yet, answered otherwise, or the probe timed out.</returns>
    public static async Task<bool> AnswersAsync(int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            return await RedisCommand.SendAsync(port, timeout.Token, "PING").ConfigureAwait(false) is "PONG";
        }
        catch (Exception e) when (e is SocketException or IOException or InvalidOperationException)
        {
            return false; // not listening yet, or not ready (an error answer such as LOADING)
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false; // this probe timed out; the caller's deadline decides
        }
    }
}
