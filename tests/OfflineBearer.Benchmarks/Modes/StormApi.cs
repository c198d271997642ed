using System.Net;
using System.Net.Http.Headers;

namespace OfflineBearer.Benchmarks.Modes;

/// <summary>
/// The protected API of a <see cref="StormServer"/>: 200 for the one token it accepts, else 401 with
/// <c>WWW-Authenticate: Bearer error="invalid_token"</c>, as an RFC 6750 resource server answers an expired or
/// revoked token.
/// </summary>
internal sealed class StormApi(StormServer server) : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = request.Headers.Authorization is { Scheme: "Bearer" } authorization ? authorization.Parameter : null;
        if (server.Accepts(token))
        {
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request });
        }

        var refused = new HttpResponseMessage(HttpStatusCode.Unauthorized) { RequestMessage = request };
        refused.Headers.WwwAuthenticate.Add(new AuthenticationHeaderValue(
            "Bearer", "error=\"invalid_token\", error_description=\"The access token expired or was revoked\""));
        return Task.FromResult(refused);
    }
}
