using System.Net;
using System.Text;
using OfflineBearer.Tests.Support;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tests;

/// <summary>Where mutation testing found the body-limit tests silent: a body one byte over the limit is refused even when its first MaxBodyBytes bytes are a complete answer (no Content-Length to refuse it up front).</summary>
public sealed class TokenServerConnectionMutationTests
{
    [Fact]
    public async Task A_body_one_byte_over_the_limit_is_refused_even_if_the_limit_ends_a_valid_answer()
    {
        using var harness = new Harness();
        var token = harness.IssueJwt(TimeSpan.FromMinutes(5));
        var head = "{\"token_type\":\"Bearer\",\"access_token\":\"" + token + "\",\"padding\":\"";
        var body = Encoding.UTF8.GetBytes(head + new string('p', TokenServerConnection.MaxBodyBytes - head.Length - 2) + "\"} ");
        Assert.Equal(TokenServerConnection.MaxBodyBytes + 1, body.Length);
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StreamContent(new Unseekable(body)) { Headers = { ContentType = new("application/json") } },
        });
        using var client = harness.CreateClient();

        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
        Assert.Empty(harness.ApiRequests);
    }

    /// <summary>A body without a Content-Length, so the limit is found by reading.</summary>
    private sealed class Unseekable(byte[] body) : MemoryStream(body)
    {
        public override bool CanSeek => false;
    }
}
