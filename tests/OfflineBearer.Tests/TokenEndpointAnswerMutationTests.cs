using System.Net;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tests;

/// <summary>Where mutation testing found <see cref="TokenEndpointAnswer"/>'s tests silent: the edges of a success.</summary>
public sealed class TokenEndpointAnswerMutationTests
{
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
