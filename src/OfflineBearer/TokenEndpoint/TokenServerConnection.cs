using System.Buffers;
using OfflineBearer.DPoP;
using OfflineBearer.Options;
using Polly;
using Polly.Timeout;

namespace OfflineBearer.TokenEndpoint;

/// <summary>
/// Sends requests of one client to its token server (discovery and grants): a fresh request per try through the
/// resilience pipeline, never a redirect followed, the body read whole and bounded inside the try, and every fault turned
/// into an <see cref="OfflineBearerException"/>.
/// </summary>
internal sealed class TokenServerConnection
{
    /// <summary>Token responses are small; a 100 KB JWT still fits, a runaway body does not.</summary>
    internal const int MaxBodyBytes = 256 * 1024;

    private const int FirstBufferBytes = 4 * 1024;

    private readonly string _clientName;
    private readonly Func<HttpClient> _createHttpClient;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<TokenEndpointAnswer> _repeatable;
    private readonly ResiliencePipeline<TokenEndpointAnswer> _notRepeatable;

    public TokenServerConnection(ClientContext client, Func<HttpClient> createHttpClient)
    {
        _clientName = client.Name;
        _createHttpClient = createHttpClient;
        _time = client.Time;
        _repeatable = TokenEndpointResilience.Create(client, repeatable: true);
        _notRepeatable = TokenEndpointResilience.Create(client, repeatable: false);
    }

    /// <summary>
    /// Sends what <paramref name="createRequest"/> builds (once per try). <paramref name="repeatable"/>: whether a request
    /// that may have reached the server can be sent again (see <see cref="TokenEndpointResilience.Create"/>).
    /// </summary>
    public async Task<TokenEndpointAnswer> SendAsync(
        Func<HttpRequestMessage> createRequest,
        string what,
        bool repeatable,
        CancellationToken cancellationToken)
    {
        try
        {
            return await (repeatable ? _repeatable : _notRepeatable).ExecuteAsync(
                static async (state, token) =>
                {
                    using var request = state.createRequest();
                    using var response = await state.self._createHttpClient()
                        .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
                    state.self.RefuseRedirect(response, request.RequestUri!, state.what);
                    var (body, length) = await ReadBodyAsync(response, token).ConfigureAwait(false);
                    return new TokenEndpointAnswer(
                        response.StatusCode,
                        response.Content.Headers.ContentType?.MediaType,
                        body,
                        length,
                        state.self.ReadRetryAfter(response))
                    {
                        DPoPNonce = response.Headers.TryGetValues(DPoPProofs.NonceHeader, out var nonces) ? nonces.FirstOrDefault() : null,
                    };
                },
                (self: this, createRequest, what),
                cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{_clientName}' could not reach the token server for {what} ({e.HttpRequestError}).",
                error: null,
                errorDescription: null,
                e.StatusCode,
                e);
        }
        catch (HttpIOException e)
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{_clientName}': the connection to the token server broke during {what} ({e.HttpRequestError}).",
                error: null,
                errorDescription: null,
                statusCode: null,
                e);
        }
        catch (Exception e) when (e is TimeoutRejectedException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{_clientName}': the token server did not answer {what} in time.",
                error: null,
                errorDescription: null,
                statusCode: null,
                e);
        }
    }

    /// <summary>
    /// A redirect would carry the form (a secret, a refresh token) or the Basic credential to wherever it points, and
    /// an answer from there would be trusted as a token. The token client's handler is set never to follow one
    /// (<see cref="TokenEndpointHttpClient"/>); this names the one that arrives.
    /// </summary>
    private void RefuseRedirect(HttpResponseMessage response, Uri sentTo, string what)
    {
        if ((int)response.StatusCode is < 300 or >= 400)
        {
            return;
        }

        var target = response.Headers.Location is { } location && Uri.TryCreate(sentTo, location, out var absolute) && absolute.IsAbsoluteUri
            ? absolute.Authority
            : "nowhere it named";
        throw new OfflineBearerException(
            $"The token server answered {what} of OfflineBearer client '{_clientName}' with HTTP {(int)response.StatusCode}, " +
            $"a redirect to {target}. Credentials never follow a redirect: set Authority or TokenEndpoint to the final address.",
            error: null,
            errorDescription: null,
            response.StatusCode);
    }

    private TimeSpan? ReadRetryAfter(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - _time.GetUtcNow(),
            _ => (TimeSpan?)null,
        };
        return retryAfter is { } wait && wait > TimeSpan.Zero ? wait : null;
    }

    /// <summary>
    /// The body in a pooled array, or null when it is not JSON, empty, or larger than <see cref="MaxBodyBytes"/> (read no
    /// further). The caller owns the array; every array given back to the pool here is wiped first, as it may hold tokens.
    /// </summary>
    private static async Task<(byte[]? Pooled, int Length)> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if ((mediaType is not null && !mediaType.Contains("json", StringComparison.OrdinalIgnoreCase))
            || response.Content.Headers.ContentLength > MaxBodyBytes)
        {
            return (null, 0);
        }

        // Most bodies are a few KB; the array grows as the body arrives, and none is read one byte past the limit.
        var buffer = ArrayPool<byte>.Shared.Rent(FirstBufferBytes);
        var length = 0;
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                while (true)
                {
                    if (length == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                        buffer = larger;
                    }

                    var read = await stream.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, MaxBodyBytes + 1) - length), cancellationToken)
                        .ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    length += read;
                    if (length > MaxBodyBytes)
                    {
                        break;
                    }
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
            throw;
        }

        if (length is 0 or > MaxBodyBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
            return (null, 0);
        }

        return (buffer, length);
    }
}
