using System.Text.Json.Nodes;
using OfflineBearer.IntegrationTests.Support;
using static OfflineBearer.IntegrationTests.Testing.TokenEndpointCalls;

namespace OfflineBearer.IntegrationTests.Testing;

/// <summary><see cref="TestWorkloadIssuer"/>: tokens shaped like a Kubernetes projected service account token, on the server's clock.</summary>
[Collection(SharedDevServers.Name)]
public sealed class WorkloadIssuerTests(DevServerFixture servers)
{
    [Fact]
    public async Task A_token_by_default_is_an_hour_long_RS256_JWT_of_the_workload_subject_for_the_token_server()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var issuer = harness.Server.WorkloadIssuer;
        var now = harness.Time.GetUtcNow().ToUnixTimeSeconds();

        var token = issuer.CreateToken();

        var header = HeaderOf(token);
        Assert.Equal("RS256", header.GetProperty("alg").GetString());
        Assert.Equal("JWT", header.GetProperty("typ").GetString());
        Assert.False(string.IsNullOrEmpty(header.GetProperty("kid").GetString()));
        var claims = ClaimsOf(token);
        Assert.Equal("https://kubernetes.default.svc.cluster.local", issuer.Issuer);
        Assert.Equal(issuer.Issuer, claims.GetProperty("iss").GetString());
        Assert.Equal("system:serviceaccount:jobs:inventory", claims.GetProperty("sub").GetString());
        Assert.Equal([harness.Server.Authority.AbsoluteUri], Strings(claims, "aud"));
        Assert.Equal(now, claims.GetProperty("iat").GetInt64());
        Assert.Equal(now, claims.GetProperty("nbf").GetInt64());
        Assert.Equal(now + 3600, claims.GetProperty("exp").GetInt64());
        Assert.NotEqual(claims.GetProperty("jti").GetString(), ClaimsOf(issuer.CreateToken()).GetProperty("jti").GetString());
    }

    [Fact]
    public async Task Subject_lifetime_and_audience_can_be_chosen_and_SignToken_signs_any_claims_unchanged()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var issuer = harness.Server.WorkloadIssuer;
        var now = harness.Time.GetUtcNow().ToUnixTimeSeconds();

        var chosen = ClaimsOf(issuer.CreateToken(subject: "system:serviceaccount:ops:backup", lifetime: TimeSpan.FromMinutes(10), audience: "sts.example"));
        var signed = issuer.SignToken(new JsonObject { ["iss"] = "anyone", ["aud"] = new JsonArray("a", "b") });

        Assert.Equal("system:serviceaccount:ops:backup", chosen.GetProperty("sub").GetString());
        Assert.Equal(now + 600, chosen.GetProperty("exp").GetInt64());
        Assert.Equal(["sts.example"], Strings(chosen, "aud"));
        Assert.Equal(["a", "b"], Strings(ClaimsOf(signed), "aud"));
        Assert.Equal("anyone", ClaimsOf(signed).GetProperty("iss").GetString());
        Assert.False(ClaimsOf(signed).TryGetProperty("exp", out _));
        Assert.Equal(HeaderOf(issuer.CreateToken()).GetProperty("kid").GetString(), HeaderOf(signed).GetProperty("kid").GetString());
    }

    [Fact]
    public async Task Each_server_has_its_own_key_and_the_issuer_name_is_an_option()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        await using var other = await TestTokenServer.StartAsync(o =>
        {
            o.WorkloadTokenIssuer = "https://oidc.eks.example/id/CLUSTER";
            o.ConfigureLogging = _ => { };
        });

        var foreign = other.WorkloadIssuer.CreateToken(audience: harness.Server.Authority.AbsoluteUri);

        Assert.Equal("https://oidc.eks.example/id/CLUSTER", ClaimsOf(foreign).GetProperty("iss").GetString());
        Assert.NotEqual(HeaderOf(foreign).GetProperty("kid").GetString(), HeaderOf(harness.Server.WorkloadIssuer.CreateToken()).GetProperty("kid").GetString());
        // Signed with the right claims but by another server's key: this server takes it for no one.
        var sameIssuerName = other.WorkloadIssuer.SignToken(new JsonObject
        {
            ["iss"] = harness.Server.WorkloadIssuer.Issuer,
            ["sub"] = TestTokenServer.WorkloadSubject,
            ["aud"] = harness.Server.Authority.AbsoluteUri,
            ["iat"] = harness.Time.GetUtcNow().ToUnixTimeSeconds(),
            ["exp"] = harness.Time.GetUtcNow().ToUnixTimeSeconds() + 60,
        });
        var answer = await PostAsync(harness.Server, [("grant_type", "client_credentials"), .. WorkloadAssertion(sameIssuerName)]);
        Assert.Equal("invalid_client", answer.Error);
        Assert.Contains("is not signed by the workload issuer's key", answer.Description, StringComparison.Ordinal);
    }
}
