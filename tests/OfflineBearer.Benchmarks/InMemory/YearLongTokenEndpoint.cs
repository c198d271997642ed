using System.Net;
using System.Text;

namespace OfflineBearer.Benchmarks.InMemory;

/// <summary>
/// A token endpoint that issues one opaque token that lives a year, so a per-request benchmark never refreshes. Each
/// answer is a new message (the library disposes what it reads); <see cref="Requests"/> counts them. With
/// <paramref name="tokenType"/> <c>DPoP</c> it plays a server that binds the token to the client's DPoP key.
/// </summary>
internal sealed class YearLongTokenEndpoint(string tokenType = "Bearer") : HttpMessageHandler
{
    private readonly byte[] Body = Encoding.UTF8.GetBytes(
        $$"""{"access_token":"opaque-year-long-token","token_type":"{{tokenType}}","expires_in":31536000,"refresh_token":"opaque-refresh-token"}""");

    private int _requests;

    public int Requests => Volatile.Read(ref _requests);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        var content = new ByteArrayContent(Body);
        content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
    }
}
