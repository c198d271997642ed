using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OfflineBearer.Testing.Redis;

/// <summary>The readiness probe of <see cref="RedisServer"/>: connect, send an inline PING, expect <c>+PONG</c>.</summary>
internal static class RedisPing
{
    /// <summary>Bound on one probe (connect, PING, read the answer).</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>One bounded probe of the server on a loopback port.</summary>
    /// <returns>Whether it answered <c>+PONG</c>; false when it is not listening yet or the probe timed out.</returns>
    public static async Task<bool> AnswersAsync(int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token).ConfigureAwait(false);
            var buffer = new byte[64];
            var received = 0;
            while (received < 7)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(received), timeout.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return false;
                }

                received += read;
            }

            return Encoding.ASCII.GetString(buffer, 0, received).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return false; // not listening yet
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false; // this probe timed out; the caller's deadline decides
        }
    }
}
