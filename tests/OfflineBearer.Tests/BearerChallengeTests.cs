using OfflineBearer.Handler;

namespace OfflineBearer.Tests;

public sealed class BearerChallengeTests
{
    [Theory]
    [InlineData("error=\"invalid_token\"", "error", "invalid_token")]
    [InlineData("realm=\"a,b\", error=invalid_token", "error", "invalid_token")]
    [InlineData("realm=\"api\", error_description=\"x\", error=\"insufficient_scope\"", "error", "insufficient_scope")]
    [InlineData("ERROR=\"invalid_token\"", "error", "invalid_token")]
    [InlineData("realm=\"api\"", "error", null)]
    [InlineData("error=\"unterminated", "error", null)]
    [InlineData("=oops", "error", null)]
    [InlineData("", "error", null)]
    [InlineData(null, "error", null)]
    public void Reads_one_parameter_of_a_challenge(string? parameters, string name, string? expected)
    {
        var value = BearerChallenge.ReadParameter(parameters, name);

        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("Bearer error=\"invalid_token\", DPoP algs=\"ES256\"", true)]
    [InlineData("Basic realm=\"x\", Bearer", true)]
    [InlineData("Bearer error=\"insufficient_scope\"", false)]
    [InlineData("Negotiate", false)]
    [InlineData("\"not a challenge", false)]
    public void Decides_from_the_bearer_challenge_among_several(string header, bool expected)
    {
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.Unauthorized);
        response.Headers.TryAddWithoutValidation("WWW-Authenticate", header);

        Assert.Equal(expected, BearerChallenge.AsksForNewToken(response.Headers));
    }
}
