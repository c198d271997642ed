using System.Net;
using OfflineBearer.IntegrationTests.Support;
using static OfflineBearer.IntegrationTests.Testing.TokenEndpointCalls;

namespace OfflineBearer.IntegrationTests.Testing;

/// <summary>
/// Token exchange (RFC 8693): any client trades an access token this server issued for one of the same subject, with the
/// scopes, resources and audiences it asks for, an <c>act</c> for an actor token, and a DPoP binding for a proof.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class TokenExchangeTests(DevServerFixture servers)
{
    [Fact]
    public async Task A_client_exchanges_a_users_access_token_for_one_of_that_user_for_the_requested_targets()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var subjectToken = await UserAccessTokenAsync(harness.Server);

        var answer = await PostAsync(harness.Server,
        [
            ("grant_type", TokenExchangeGrant), ("subject_token", subjectToken), ("subject_token_type", AccessTokenType),
            ("scope", TestTokenServer.ApiScope), ("resource", TestTokenServer.ApiResource), ("audience", TestTokenServer.ApiAudience), .. PostClient,
        ]);

        Assert.Null(answer.Error);
        Assert.Equal(AccessTokenType, answer.Body.GetProperty("issued_token_type").GetString());
        Assert.Equal("Bearer", answer.TokenType);
        Assert.Equal(TestTokenServer.UserName, answer.Claims.GetProperty("sub").GetString());
        Assert.Equal(TestTokenServer.PostClientId, answer.Claims.GetProperty("client_id").GetString());
        Assert.Equal([TestTokenServer.ApiScope], ScopesOf(answer.Claims));
        Assert.Equal([TestTokenServer.ApiResource, TestTokenServer.ApiAudience], Strings(answer.Claims, "aud"));
        Assert.False(answer.Claims.TryGetProperty("act", out _));
        Assert.NotEqual(subjectToken, answer.AccessToken);
        Assert.Equal(HttpStatusCode.OK, await TokenLedgerTests.PingWithAsync(new HttpClient(), harness.Server, answer.AccessToken));
        var logged = Assert.Single(harness.Ledger.TokenRequestLog, request => request.GrantType == TokenExchangeGrant);
        Assert.Equal(subjectToken, logged.Value("subject_token"));
        Assert.Equal(TestTokenServer.PostClientId, logged.ClientId);
    }

    [Fact]
    public async Task Without_scope_the_subject_tokens_scopes_stay_and_an_actor_token_becomes_act()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var subjectToken = await UserAccessTokenAsync(harness.Server);
        var actorToken = await TokenLedgerTests.AccessTokenAsync(harness.Server); // post-client's own

        var answer = await PostAsync(harness.Server,
        [
            ("grant_type", TokenExchangeGrant), ("subject_token", subjectToken), ("subject_token_type", AccessTokenType),
            ("actor_token", actorToken), ("actor_token_type", AccessTokenType),
            .. WorkloadAssertion(harness.Server.WorkloadIssuer.CreateToken()),
        ]);

        Assert.Null(answer.Error);
        Assert.Equal(TestTokenServer.UserName, answer.Claims.GetProperty("sub").GetString());
        Assert.Equal(TestTokenServer.PostClientId, answer.Claims.GetProperty("act").GetProperty("sub").GetString());
        Assert.Equal([TestTokenServer.ApiScope], ScopesOf(answer.Claims));
        Assert.False(answer.Claims.TryGetProperty("aud", out _));
        Assert.Equal(TestTokenServer.WorkloadClientId, answer.Claims.GetProperty("client_id").GetString());
    }

    [Fact]
    public async Task A_revoked_or_expired_subject_token_is_invalid_grant()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var revoked = await UserAccessTokenAsync(harness.Server);
        await harness.Server.RevokeAccessTokensAsync();
        var expired = await UserAccessTokenAsync(harness.Server);
        var valid = await UserAccessTokenAsync(harness.Server);

        var revokedAnswer = await ExchangeAsync(harness.Server, revoked);
        var validAnswer = await ExchangeAsync(harness.Server, valid); // before the clock moves
        harness.AdvancePastExpiry();
        var expiredAnswer = await ExchangeAsync(harness.Server, expired);

        Assert.Equal("invalid_grant", revokedAnswer.Error);
        Assert.Null(validAnswer.Error);
        Assert.Equal("invalid_grant", expiredAnswer.Error);
        Assert.True(2 == harness.Ledger.TokenRequestLog.Count(request => request.GrantType == TokenExchangeGrant && request.Error == "invalid_grant"), string.Join(" | ", harness.Ledger.TokenRequestLog));
    }

    [Fact]
    public async Task A_subject_token_aimed_at_a_resource_is_exchanged_only_by_its_own_client()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var aimed = await PostAsync(harness.Server, [("grant_type", "client_credentials"), ("resource", TestTokenServer.ApiResource), .. PostClient]);

        var byItsClient = await ExchangeAsync(harness.Server, aimed.AccessToken);
        var byAnother = await PostAsync(harness.Server,
            [("grant_type", TokenExchangeGrant), ("subject_token", aimed.AccessToken), ("subject_token_type", AccessTokenType), ("client_id", TestTokenServer.PublicClientId)]);

        Assert.Null(byItsClient.Error);
        Assert.Equal(TestTokenServer.PostClientId, byItsClient.Claims.GetProperty("sub").GetString());
        Assert.Equal("invalid_grant", byAnother.Error);
    }

    [Fact]
    public async Task An_exchange_with_a_DPoP_proof_issues_a_DPoP_bound_token_and_a_DPoP_bound_subject_token_can_be_exchanged()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        using var key = new DPoPKey(harness.Time);
        var bound = await PostAsync(harness.Server, [("grant_type", "client_credentials"), .. PostClient], key.Proof(HttpMethod.Post, harness.Server.TokenEndpoint));
        Assert.Equal("DPoP", bound.TokenType);

        var withProof = await ExchangeAsync(harness.Server, bound.AccessToken, key.Proof(HttpMethod.Post, harness.Server.TokenEndpoint));
        var withoutProof = await ExchangeAsync(harness.Server, bound.AccessToken);

        Assert.Null(withProof.Error);
        Assert.Equal("DPoP", withProof.TokenType);
        Assert.Equal(key.Thumbprint, withProof.Claims.GetProperty("cnf").GetProperty("jkt").GetString());
        Assert.Null(withoutProof.Error); // RFC 8693 asks no proof of the subject token's key
        Assert.Equal("Bearer", withoutProof.TokenType);
        Assert.False(withoutProof.Claims.TryGetProperty("cnf", out _));
        Assert.Equal(2, harness.Ledger.TokenDPoPProofsAccepted);
    }

    private static Task<TokenAnswer> ExchangeAsync(TestTokenServer server, string subjectToken, string? dpopProof = null) =>
        PostAsync(server, [("grant_type", TokenExchangeGrant), ("subject_token", subjectToken), ("subject_token_type", AccessTokenType), .. PostClient], dpopProof);
}
