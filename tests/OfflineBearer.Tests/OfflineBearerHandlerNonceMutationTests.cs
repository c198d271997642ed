using System.Net;
using Microsoft.IdentityModel.JsonWebTokens;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests;

/// <summary>Where mutation testing found the handler's tests silent: a nonce challenge that repeats the nonce the proof already carried is not chased.</summary>
public sealed class OfflineBearerHandlerNonceMutationTests
{
    [Fact]
    public async Task A_nonce_challenge_with_the_nonce_already_sent_is_not_resent()
    {
        using var harness = new Harness(o => o.DPoP = true);
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)))
            .Replace("\"token_type\":\"Bearer\"", "\"token_type\":\"DPoP\"", StringComparison.Ordinal)));
        harness.OnApi = _ =>
        {
            var challenge = Harness.Unauthorized("DPoP error=\"use_dpop_nonce\"");
            challenge.Headers.Add("DPoP-Nonce", "api-1");
            return Task.FromResult(challenge);
        };
        using var client = harness.CreateClient();

        using var first = await client.GetAsync("items");
        Assert.Equal(2, harness.ApiRequests.Count);
        using var second = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        Assert.Equal(3, harness.ApiRequests.Count);
        Assert.Equal("api-1", new JsonWebToken(harness.ApiRequests.Last().Headers["DPoP"]).GetPayloadValue<string>("nonce"));
        Assert.Single(harness.TokenRequests);
    }
}
