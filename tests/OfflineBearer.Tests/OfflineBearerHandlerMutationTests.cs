using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.JsonWebTokens;
using OfflineBearer.Caching;
using OfflineBearer.Handler;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests;

/// <summary>
/// Where mutation testing found the handler's DPoP tests silent: the nonce an API hands out in its answer to a resend,
/// and a stale proof on a request that comes through the handler again (an outer retry) or is resent with a plain
/// bearer token.
/// </summary>
public sealed class OfflineBearerHandlerMutationTests
{
    [Fact]
    public async Task A_nonce_in_the_answer_to_a_nonce_resend_goes_into_the_next_requests_proof()
    {
        using var harness = DPoPHarness();
        harness.OnApi = request => Task.FromResult(harness.ApiRequests.Count switch
        {
            1 => NonceChallenge("api-1"),
            2 => WithNonce(new HttpResponseMessage(HttpStatusCode.OK), "api-2"),
            _ => new HttpResponseMessage(HttpStatusCode.OK),
        });
        using var client = harness.CreateClient();

        using var first = await client.GetAsync("items");
        using var second = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal([null, "api-1", "api-2"], harness.ApiRequests.Select(r => Nonce(r.Headers["DPoP"])));
    }

    [Fact]
    public async Task A_nonce_in_the_answer_to_a_resend_with_a_new_token_goes_into_the_next_requests_proof()
    {
        using var harness = DPoPHarness();
        harness.OnApi = request => Task.FromResult(harness.ApiRequests.Count switch
        {
            1 => Harness.Unauthorized("DPoP error=\"invalid_token\""),
            2 => WithNonce(new HttpResponseMessage(HttpStatusCode.OK), "api-2"),
            _ => new HttpResponseMessage(HttpStatusCode.OK),
        });
        using var client = harness.CreateClient();

        using var first = await client.GetAsync("items");
        using var second = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(2, harness.TokenRequests.Count);
        Assert.Equal([null, null, "api-2"], harness.ApiRequests.Select(r => Nonce(r.Headers["DPoP"])));
    }

    [Fact]
    public async Task A_request_that_already_carries_a_proof_goes_with_one_new_proof()
    {
        using var harness = DPoPHarness();
        var holder = harness.Services.GetRequiredService<TokenHolderRegistry>().Get(Harness.ClientName);
        var proofs = new List<string[]>();
        using var invoker = new HttpMessageInvoker(new OfflineBearerHandler(holder, NullLogger.Instance)
        {
            InnerHandler = new Answers(request =>
            {
                proofs.Add(request.Headers.GetValues("DPoP").ToArray());
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
            }),
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Harness.ApiBase, "items"));
        request.Headers.TryAddWithoutValidation("DPoP", "stale-proof-of-an-earlier-attempt");

        (await invoker.SendAsync(request, CancellationToken.None)).Dispose();

        var proof = Assert.Single(Assert.Single(proofs));
        Assert.NotEqual("stale-proof-of-an-earlier-attempt", proof);
        Assert.Equal("GET", new JsonWebToken(proof).GetPayloadValue<string>("htm"));
    }

    [Fact]
    public async Task A_resend_with_a_bearer_token_after_a_bound_one_carries_no_proof()
    {
        using var harness = DPoPHarness();
        harness.OnToken = _ => Task.FromResult(Harness.Json(harness.TokenRequests.Count == 1
            ? BoundToken(harness.IssueJwt(TimeSpan.FromMinutes(5)))
            : TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)))));
        harness.OnApi = request => Task.FromResult(harness.ApiRequests.Count == 1
            ? Harness.Unauthorized("DPoP error=\"invalid_token\"")
            : new HttpResponseMessage(HttpStatusCode.OK));
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (first, resent) = (harness.ApiRequests.First(), harness.ApiRequests.Last());
        Assert.Equal("DPoP", first.Authorization!.Scheme);
        Assert.True(first.Headers.ContainsKey("DPoP"));
        Assert.Equal("Bearer", resent.Authorization!.Scheme);
        Assert.False(resent.Headers.ContainsKey("DPoP"));
    }

    private static Harness DPoPHarness()
    {
        var harness = new Harness(o => o.DPoP = true);
        harness.OnToken = _ => Task.FromResult(Harness.Json(BoundToken(harness.IssueJwt(TimeSpan.FromMinutes(5)))));
        return harness;
    }

    private static string BoundToken(string accessToken) =>
        TokenJson.Success(accessToken).Replace("\"token_type\":\"Bearer\"", "\"token_type\":\"DPoP\"", StringComparison.Ordinal);

    private static HttpResponseMessage NonceChallenge(string nonce) =>
        WithNonce(Harness.Unauthorized("DPoP error=\"use_dpop_nonce\", error_description=\"Resource server requires nonce in DPoP proof\""), nonce);

    private static HttpResponseMessage WithNonce(HttpResponseMessage response, string nonce)
    {
        response.Headers.Add("DPoP-Nonce", nonce);
        return response;
    }

    private static string? Nonce(string proof) =>
        new JsonWebToken(proof).TryGetPayloadValue<string>("nonce", out var nonce) ? nonce : null;

    private sealed class Answers(Func<HttpRequestMessage, Task<HttpResponseMessage>> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => answer(request);
    }
}
