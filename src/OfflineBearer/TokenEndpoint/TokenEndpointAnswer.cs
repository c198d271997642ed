using System.Buffers;
using System.Net;

namespace OfflineBearer.TokenEndpoint;

/// <summary>
/// One HTTP answer of the token endpoint, read whole inside a try, so a slow body counts against its timeout. The body
/// lives in a pooled array until <see cref="Dispose"/>, which wipes it (it may hold tokens) and gives it back.
/// </summary>
internal sealed class TokenEndpointAnswer : IDisposable
{
    private readonly int _length;
    private byte[]? _pooled;

    /// <param name="status">The status code.</param>
    /// <param name="mediaType">The content type's media type, if any.</param>
    /// <param name="pooled">The body's array, rented from <see cref="ArrayPool{T}.Shared"/>; the answer owns it from here.</param>
    /// <param name="length">How much of <paramref name="pooled"/> is body.</param>
    /// <param name="retryAfter">How long the server asked us to wait, from <c>Retry-After</c>.</param>
    public TokenEndpointAnswer(HttpStatusCode status, string? mediaType, byte[]? pooled, int length, TimeSpan? retryAfter)
    {
        Status = status;
        MediaType = mediaType;
        _pooled = pooled;
        _length = length;
        RetryAfter = retryAfter;
    }

    public HttpStatusCode Status { get; }

    public string? MediaType { get; }

    /// <summary>The body, or null when it is not JSON, empty or over <see cref="TokenServerConnection.MaxBodyBytes"/>. Read it before disposing.</summary>
    public ReadOnlyMemory<byte>? Body => _pooled is { } pooled ? new ReadOnlyMemory<byte>(pooled, 0, _length) : (ReadOnlyMemory<byte>?)null;

    public TimeSpan? RetryAfter { get; }

    /// <summary>The nonce the server asked DPoP proofs to carry, from <c>DPoP-Nonce</c>.</summary>
    public string? DPoPNonce { get; init; }

    public bool IsSuccess => (int)Status is >= 200 and < 300;

    /// <summary>Wipes and returns the body's array. Also called by the retry strategy for an answer it discards.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _pooled, null) is { } pooled)
        {
            ArrayPool<byte>.Shared.Return(pooled, clearArray: true);
        }
    }
}
