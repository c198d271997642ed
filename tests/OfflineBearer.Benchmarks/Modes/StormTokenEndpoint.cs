using System.Net;
using System.Text;

namespace OfflineBearer.Benchmarks.Modes;

/// <summary>The token endpoint of a <see cref="StormServer"/>, as an HTTP handler.</summary>
internal sealed class StormTokenEndpoint(StormServer server) : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        new(HttpStatusCode.OK)
        {
            Content = new StringContent(await server.AnswerTokenRequestAsync(cancellationToken), Encoding.UTF8, "application/json"),
        };
}
