using OfflineBearer.Handler;

namespace OfflineBearer.Tests.Handler;

/// <summary>
/// How a <c>WWW-Authenticate</c> header is read: one parameter of a challenge, and which challenges ask for a new token
/// or for a DPoP nonce.
/// </summary>
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

    [Fact]
    public void An_empty_value_ends_at_its_comma() =>
        Assert.Equal("x", BearerChallenge.ReadParameter("error=, realm=x", "realm"));

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

    [Theory]
    [InlineData("DPoP error=\"use_dpop_nonce\"", true)]
    [InlineData("Bearer realm=\"api\", DPoP error=\"use_dpop_nonce\"", true)]
    [InlineData("DPoP error=\"invalid_token\"", false)]
    [InlineData("Bearer error=\"use_dpop_nonce\"", false)]
    [InlineData("Bearer error=\"invalid_token\"", false)]
    public void Only_a_DPoP_challenge_with_use_dpop_nonce_asks_for_a_nonce(string header, bool expected)
    {
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.Unauthorized);
        response.Headers.TryAddWithoutValidation("WWW-Authenticate", header);

        Assert.Equal(expected, BearerChallenge.AsksForDPoPNonce(response.Headers));
    }
}
