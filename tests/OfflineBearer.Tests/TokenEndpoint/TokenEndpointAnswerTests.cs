using System.Buffers;
using System.Net;
using System.Text;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tests.TokenEndpoint;

/// <summary>
/// The token endpoint's answer: a success is a 2xx status, and its body lives in a pooled array (#11), given back wiped,
/// once, and never readable afterwards.
/// </summary>
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

    [Theory]
    [InlineData(199, false)]
    [InlineData(200, true)]
    [InlineData(299, true)]
    [InlineData(300, false)]
    public void Only_a_2xx_status_is_a_success(int status, bool success)
    {
        using var answer = new TokenEndpointAnswer((HttpStatusCode)status, "application/json", pooled: null, length: 0, retryAfter: null);

        Assert.Equal(success, answer.IsSuccess);
    }
}
