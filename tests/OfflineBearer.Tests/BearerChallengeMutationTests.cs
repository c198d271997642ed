using OfflineBearer.Handler;

namespace OfflineBearer.Tests;

/// <summary>Where mutation testing found the challenge tests silent: which challenges ask for a DPoP nonce, and an empty value.</summary>
public sealed class BearerChallengeMutationTests
{
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

    [Fact]
    public void An_empty_value_ends_at_its_comma() =>
        Assert.Equal("x", BearerChallenge.ReadParameter("error=, realm=x", "realm"));
}
