using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OfflineBearer.Testing.Redis;

/// <summary>
/// One administrative command to one Redis server on a loopback port, in RESP2 on a connection of its own: what
/// <see cref="RedisCluster"/> needs to assemble, fail over and reshard a cluster, and the readiness probe of both server
/// kinds (<see cref="RedisPing"/>), without a client library or <c>redis-cli</c>. Not for the code under test, which
/// talks to Redis through StackExchange.Redis.
/// </summary>
internal static class RedisCommand
{
    /// <summary>Bound on one command (connect, send, read the whole reply).</summary>
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Sends the command and reads its reply.</summary>
    /// <returns>
    /// A simple or bulk string as <see cref="string"/>, an integer as <see cref="long"/>, an array as <c>object?[]</c>,
    /// a null reply as <see langword="null"/>.
    /// </returns>
    /// <exception cref="InvalidOperationException">The server answered with an error; the message is the error.</exception>
    public static async Task<object?> SendAsync(int port, CancellationToken cancellationToken, params string[] arguments)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CommandTimeout);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token).ConfigureAwait(false);
        var stream = client.GetStream();
        var request = new StringBuilder().Append('*').Append(arguments.Length).Append("\r\n");
        foreach (var argument in arguments)
        {
            request.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n").Append(argument).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), timeout.Token).ConfigureAwait(false);
        var reader = new Reader(stream, timeout.Token);
        return await reader.ReadValueAsync(port, arguments[0]).ConfigureAwait(false);
    }

    /// <summary>Sends a command whose reply is a string (simple or bulk).</summary>
    public static async Task<string> TextAsync(int port, CancellationToken cancellationToken, params string[] arguments) =>
        await SendAsync(port, cancellationToken, arguments).ConfigureAwait(false) as string
            ?? throw new InvalidOperationException($"redis-server on port {port} answered {arguments[0]} with no text.");

    private sealed class Reader(NetworkStream stream, CancellationToken cancellationToken)
    {
        private readonly byte[] _buffer = new byte[8192];
        private int _start;
        private int _end;

        public async Task<object?> ReadValueAsync(int port, string command)
        {
            var line = await ReadLineAsync().ConfigureAwait(false);
            var rest = line[1..];
            switch (line[0])
            {
                case '+':
                    return rest;
                case '-':
                    throw new InvalidOperationException($"redis-server on port {port} refused {command}: {rest}");
                case ':':
                    return long.Parse(rest, CultureInfo.InvariantCulture);
                case '$':
                    var length = int.Parse(rest, CultureInfo.InvariantCulture);
                    return length < 0 ? null : Encoding.UTF8.GetString(await ReadBytesAsync(length + 2).ConfigureAwait(false), 0, length);
                case '*':
                    var count = int.Parse(rest, CultureInfo.InvariantCulture);
                    if (count < 0)
                    {
                        return null;
                    }

                    var items = new object?[count];
                    for (var i = 0; i < count; i++)
                    {
                        items[i] = await ReadValueAsync(port, command).ConfigureAwait(false);
                    }

                    return items;
                default:
                    throw new InvalidOperationException($"redis-server on port {port} answered {command} with '{line}', which is not RESP2.");
            }
        }

        private async Task<string> ReadLineAsync()
        {
            var line = new List<byte>();
            while (true)
            {
                var b = await ReadByteAsync().ConfigureAwait(false);
                if (b == '\n' && line.Count > 0 && line[^1] == '\r')
                {
                    return Encoding.UTF8.GetString([.. line], 0, line.Count - 1);
                }

                line.Add(b);
            }
        }

        private async Task<byte[]> ReadBytesAsync(int count)
        {
            var bytes = new byte[count];
            for (var i = 0; i < count; i++)
            {
                bytes[i] = await ReadByteAsync().ConfigureAwait(false);
            }

            return bytes;
        }

        private async ValueTask<byte> ReadByteAsync()
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
                if (_end == 0)
                {
                    throw new IOException("redis-server closed the connection before its reply was complete.");
                }
            }

            return _buffer[_start++];
        }
    }
}
