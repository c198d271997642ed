using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Web;

namespace OfflineBearer.Cli;

/// <summary>
/// Receives the browser's redirect after a login (RFC 8252 section 7.3): a listener on 127.0.0.1 at a port the system
/// picks, so no other program's port is taken and nothing outside the machine can reach it. It reads one request line,
/// answers a short page, and hands back the query of the redirect to its path.
/// </summary>
internal sealed class LoopbackRedirectListener : IDisposable
{
    public const string CallbackPath = "/callback";

    private const int MaxRequestBytes = 16 * 1024;

    private readonly TcpListener _listener;

    /// <param name="port">The port to listen on; 0 lets the system pick a free one.</param>
    public LoopbackRedirectListener(int port = 0)
    {
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        RedirectUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}{CallbackPath}");
    }

    public Uri RedirectUri { get; }

    /// <summary>
    /// The query parameters of the first request to <see cref="CallbackPath"/>; other requests (a browser's favicon)
    /// get a 404. Connections are served side by side: a browser opens spare ones that send nothing, and one of those
    /// must not hold up the redirect. <paramref name="answer"/> chooses the page the browser shows.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> ReceiveAsync(
        Func<IReadOnlyDictionary<string, string>, string> answer, CancellationToken cancellationToken)
    {
        var received = new TaskCompletionSource<IReadOnlyDictionary<string, string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var accept = _listener.AcceptTcpClientAsync(stop.Token).AsTask();
                if (await Task.WhenAny(accept, received.Task).ConfigureAwait(false) == received.Task)
                {
                    return await received.Task.ConfigureAwait(false);
                }

                connections.Add(ServeAsync(await accept.ConfigureAwait(false), answer, received, stop.Token));
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(connections).ConfigureAwait(false);
        }
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Answers one connection; never throws, since a broken or idle connection is none of the login's business.</summary>
    private static async Task ServeAsync(
        TcpClient connection,
        Func<IReadOnlyDictionary<string, string>, string> answer,
        TaskCompletionSource<IReadOnlyDictionary<string, string>> received,
        CancellationToken cancellationToken)
    {
        using (connection)
        {
            try
            {
                var stream = connection.GetStream();
                await using (stream.ConfigureAwait(false))
                {
                    var target = await ReadRequestTargetAsync(stream, cancellationToken).ConfigureAwait(false);
                    if (target is null || !target.StartsWith(CallbackPath, StringComparison.Ordinal)
                        || (target.Length > CallbackPath.Length && target[CallbackPath.Length] != '?'))
                    {
                        await RespondAsync(stream, "404 Not Found", "Not found.", cancellationToken).ConfigureAwait(false);
                        return;
                    }

                    var query = HttpUtility.ParseQueryString(target[CallbackPath.Length..].TrimStart('?'));
                    var parameters = query.AllKeys.Where(key => key is not null)
                        .ToDictionary(key => key!, key => query[key] ?? string.Empty, StringComparer.Ordinal);
                    try
                    {
                        await RespondAsync(stream, "200 OK", answer(parameters), cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        // The redirect counts even when the browser did not wait for the page.
                        received.TrySetResult(parameters);
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // The browser went away, or the login is over.
            }
        }
    }

    /// <summary>The target of a <c>GET</c> request line, or null for anything else.</summary>
    private static async Task<string?> ReadRequestTargetAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            length += read;
            if (buffer.AsSpan(0, length).IndexOf("\r\n"u8) is var end and >= 0)
            {
                var parts = Encoding.ASCII.GetString(buffer, 0, end).Split(' ');
                return parts is ["GET", var target, _] ? target : null;
            }
        }

        return null;
    }

    private static async Task RespondAsync(NetworkStream stream, string status, string message, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(
            $"<!doctype html><html><head><meta charset=\"utf-8\"><title>offline-token</title></head><body><p>{WebUtility.HtmlEncode(message)}</p></body></html>");
        var head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n");
        await stream.WriteAsync(head, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
    }
}
