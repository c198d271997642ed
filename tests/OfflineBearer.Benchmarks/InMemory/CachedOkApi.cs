using System.Net;

namespace OfflineBearer.Benchmarks.InMemory;

/// <summary>
/// The protected API of the per-request benchmarks, as the primary handler of every named client: one 200 response,
/// made once and handed to every request, so a row measures the handler chain in front of it and nothing else. It
/// accepts any request; the callers never dispose the shared response.
/// </summary>
internal sealed class CachedOkApi : HttpMessageHandler
{
    private static readonly Task<HttpResponseMessage> Answer = Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Answer;
}
