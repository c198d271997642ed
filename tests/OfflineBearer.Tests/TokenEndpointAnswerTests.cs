using System.Buffers;
using System.Net;
using System.Text;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tests;

/// <summary>The answer's body lives in a pooled array (#11): given back wiped, once, and never readable afterwards.</summary>
public sealed class TokenEndpointAnswerTests
{
    [Fact]
    public void Disposing_wipes_the_body_and_gives_its_array_back_once()
    {
        var pooled = ArrayPool<byte>.Shared.Rent(64);
        var body = Encoding.UTF8.GetBytes("{\"access_token\":\"secret\"}");
        body.CopyTo(pooled, 0);
        var answer = new TokenEndpointAnswer(HttpStatusCode.OK, "application/json", pooled, body.Length, retryAfter: null);
        Assert.Equal(body, answer.Body!.Value.ToArray());

        answer.Dispose();
        answer.Dispose();

        Assert.All(pooled, b => Assert.Equal(0, b));
        Assert.Null(answer.Body);
    }

    [Fact]
    public void An_answer_without_a_body_disposes_quietly()
    {
        var answer = new TokenEndpointAnswer(HttpStatusCode.BadGateway, mediaType: null, pooled: null, length: 0, retryAfter: null);

        answer.Dispose();

        Assert.Null(answer.Body);
        Assert.False(answer.IsSuccess);
    }
}
