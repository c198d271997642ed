using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using OfflineBearer.IntegrationTests.Support;
using static OfflineBearer.IntegrationTests.Testing.TokenEndpointCalls;

namespace OfflineBearer.IntegrationTests.Testing;

/// <summary>
/// The JWT bearer grant (RFC 7523 section 2.1): any client trades a workload token for an access token of the token's
/// subject; a token that fails the workload checks is <c>invalid_grant</c>.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class JwtBearerGrantTests(DevServerFixture servers)
{
    [Fact]
    public async Task The_public_client_trades_a_workload_token_for_an_access_token_of_its_subject_with_scopes_and_targets()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var server = harness.Server;
        var assertion = server.WorkloadIssuer.CreateToken();

        var answer = await PostAsync(server,
        [
            ("grant_type", JwtBearerGrant), ("client_id", TestTokenServer.PublicClientId), ("assertion", assertion),
            ("scope", TestTokenServer.OfflineScope), ("resource", TestTokenServer.ApiResource), ("audience", TestTokenServer.ApiAudience),
        ]);
        var refreshed = await PostAsync(server, [("grant_type", "refresh_token"), ("client_id", TestTokenServer.PublicClientId), ("refresh_token", answer.RefreshToken!)]);

        Assert.Null(answer.Error);
        Assert.Equal("Bearer", answer.TokenType);
        Assert.Equal(TestTokenServer.WorkloadSubject, answer.Claims.GetProperty("sub").GetString());
        Assert.Equal(TestTokenServer.PublicClientId, answer.Claims.GetProperty("client_id").GetString());
        Assert.Equal(["offline_access", "api"], ScopesOf(answer.Claims).Order(StringComparer.Ordinal).Reverse());
        Assert.Equal([TestTokenServer.ApiResource, TestTokenServer.ApiAudience], Strings(answer.Claims, "aud"));
        Assert.Equal(TestTokenServer.WorkloadSubject, refreshed.Claims.GetProperty("sub").GetString());
        Assert.Equal(HttpStatusCode.OK, await TokenLedgerTests.PingWithAsync(new HttpClient(), server, answer.AccessToken));
        Assert.Equal(1, harness.Ledger.TokenRequests(TestTokenServer.PublicClientId, JwtBearerGrant));
        Assert.Equal(assertion, harness.Ledger.TokenRequestLog[0].Value("assertion"));
    }

    [Fact]
    public async Task A_confidential_client_and_the_workload_client_may_use_it_for_any_subject()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var issuer = harness.Server.WorkloadIssuer;

        var byPostClient = await PostAsync(harness.Server, [("grant_type", JwtBearerGrant), ("assertion", issuer.CreateToken(subject: "system:serviceaccount:ops:reporter")), .. PostClient]);
        var byWorkloadClient = await PostAsync(harness.Server,
            [("grant_type", JwtBearerGrant), ("assertion", issuer.CreateToken(subject: "system:serviceaccount:ops:reporter")), .. WorkloadAssertion(issuer.CreateToken())]);

        Assert.Equal("system:serviceaccount:ops:reporter", byPostClient.Claims.GetProperty("sub").GetString());
        Assert.Equal(TestTokenServer.PostClientId, byPostClient.Claims.GetProperty("client_id").GetString());
        Assert.False(byPostClient.Claims.TryGetProperty("aud", out _));
        Assert.Null(byPostClient.RefreshToken);
        Assert.Equal("system:serviceaccount:ops:reporter", byWorkloadClient.Claims.GetProperty("sub").GetString());
        Assert.Equal(TestTokenServer.WorkloadClientId, byWorkloadClient.Claims.GetProperty("client_id").GetString());
        Assert.Equal(1, harness.Ledger.TokenRequests(TestTokenServer.WorkloadClientId, JwtBearerGrant));
    }

    [Theory]
    [InlineData("expired", "expired at ")]
    [InlineData("lives longer than an hour", "lives 3601 s")]
    [InlineData("for another audience", "has the audience 'https://keycloak.example/realms/prod'")]
    [InlineData("for two audiences", "must have exactly one audience")]
    [InlineData("issued in the future", "was issued in the future")]
    [InlineData("without exp", "has no exp")]
    [InlineData("without sub", "has no sub")]
    [InlineData("not yet valid", "is not valid before ")]
    [InlineData("signed by another key", "is not signed by the workload issuer's key")]
    public async Task An_assertion_that_fails_a_check_is_invalid_grant_saying_which(string flaw, string description)
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var assertion = FlawedWorkloadTokens.Make(harness, flaw);

        var answer = await PostAsync(harness.Server, [("grant_type", JwtBearerGrant), ("client_id", TestTokenServer.PublicClientId), ("assertion", assertion)]);

        Assert.Equal("invalid_grant", answer.Error);
        Assert.StartsWith("The assertion ", answer.Description, StringComparison.Ordinal);
        Assert.Contains(description, answer.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(assertion, answer.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_assertion_of_another_issuer_or_none_at_all_is_refused()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var now = harness.Time.GetUtcNow().ToUnixTimeSeconds();
        var otherIssuer = harness.Server.WorkloadIssuer.SignToken(new JsonObject
        {
            ["iss"] = "https://accounts.example", ["sub"] = "x", ["aud"] = harness.Server.Authority.AbsoluteUri, ["iat"] = now, ["exp"] = now + 60,
        });

        var foreign = await PostAsync(harness.Server, [("grant_type", JwtBearerGrant), ("client_id", TestTokenServer.PublicClientId), ("assertion", otherIssuer)]);
        var notAJwt = await PostAsync(harness.Server, [("grant_type", JwtBearerGrant), ("client_id", TestTokenServer.PublicClientId), ("assertion", "not-a-jwt")]);
        var missing = await PostAsync(harness.Server, [("grant_type", JwtBearerGrant), ("client_id", TestTokenServer.PublicClientId)]);

        Assert.Equal("invalid_grant", foreign.Error);
        Assert.Contains("was not issued by the workload issuer 'https://kubernetes.default.svc.cluster.local'", foreign.Description, StringComparison.Ordinal);
        Assert.Equal("invalid_grant", notAJwt.Error);
        Assert.Contains("is not a JWT", notAJwt.Description, StringComparison.Ordinal);
        Assert.Equal("invalid_request", missing.Error);
        Assert.Contains("'assertion'", missing.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Discovery_lists_the_jwt_bearer_and_token_exchange_grants()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        using var http = new HttpClient();

        var discovery = await http.GetFromJsonAsync<JsonElement>(harness.Server.DiscoveryEndpoint);

        var grants = discovery.GetProperty("grant_types_supported").EnumerateArray().Select(grant => grant.GetString()).ToList();
        Assert.Contains(JwtBearerGrant, grants);
        Assert.Contains(TokenExchangeGrant, grants);
        Assert.Contains("client_credentials", grants);
    }
}
