using System.Text.Json.Nodes;
using OfflineBearer.IntegrationTests.Support;
using static OfflineBearer.IntegrationTests.Testing.TokenEndpointCalls;

namespace OfflineBearer.IntegrationTests.Testing;

/// <summary>Workload tokens that each fail one of the server's checks; "expired" moves the clock past the token's exp.</summary>
internal static class FlawedWorkloadTokens
{
    /// <summary>A token of the server's workload issuer with one flaw, named as the tests' data names it.</summary>
    public static string Make(DevServerHarness harness, string flaw)
    {
        var issuer = harness.Server.WorkloadIssuer;
        var now = harness.Time.GetUtcNow().ToUnixTimeSeconds();
        switch (flaw)
        {
            case "expired":
                var token = issuer.CreateToken(lifetime: TimeSpan.FromMinutes(10));
                harness.Time.Advance(TimeSpan.FromMinutes(10));
                return token;
            case "lives longer than an hour":
                return issuer.CreateToken(lifetime: TimeSpan.FromSeconds(3601));
            case "for another audience":
                return issuer.CreateToken(audience: "https://keycloak.example/realms/prod");
            case "of a subject mapped to no client":
                return issuer.CreateToken(subject: "system:serviceaccount:jobs:stranger");
            case "signed by another key":
                return Resigned(issuer.CreateToken());
        }

        var claims = new JsonObject
        {
            ["iss"] = issuer.Issuer,
            ["sub"] = TestTokenServer.WorkloadSubject,
            ["aud"] = harness.Server.Authority.AbsoluteUri,
            ["iat"] = now,
            ["exp"] = now + 600,
        };
        switch (flaw)
        {
            case "for two audiences":
                claims["aud"] = new JsonArray(harness.Server.Authority.AbsoluteUri, "https://other.example/");
                break;
            case "issued in the future":
                claims["iat"] = now + 60;
                break;
            case "without exp":
                claims.Remove("exp");
                break;
            case "without sub":
                claims.Remove("sub");
                break;
            case "not yet valid":
                claims["nbf"] = now + 60;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(flaw), flaw, null);
        }

        return issuer.SignToken(claims);
    }
}
