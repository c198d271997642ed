using System.Net;

namespace OfflineBearer.Internal;

/// <summary>One HTTP answer of the token endpoint, read whole inside a try, so a slow body counts against its timeout.</summary>
/// <param name="Status">The status code.</param>
/// <param name="MediaType">The content type's media type, if any.</param>
/// <param name="Body">The body, or null when it is not JSON, empty or over <see cref="TokenServerConnection.MaxBodyBytes"/>.</param>
/// <param name="RetryAfter">How long the server asked us to wait, from <c>Retry-After</c>.</param>
internal sealed record TokenEndpointAnswer(HttpStatusCode Status, string? MediaType, ReadOnlyMemory<byte>? Body, TimeSpan? RetryAfter)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;
}
