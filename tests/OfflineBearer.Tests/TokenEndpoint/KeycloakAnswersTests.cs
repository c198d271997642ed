using System.Net;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.TokenEndpoint;

/// <summary>Keycloak's exact refusals (../shared/KEYCLOAK.md), which the in-process OpenIddict server words differently.</summary>
public sealed class KeycloakAnswersTests
{
    public static TheoryData<string> RefreshRefusals =>
    [
        "Offline session not active",
        "Offline user session not found",
        "Session not active",
        "Token is not active",
        "Stale token",
        "Maximum allowed refresh token reuse exceeded",
        "User disabled",
        "Invalid refresh token",
        "Offline session invalid because offline access not granted anymore",
    ];

    [Theory]
    [MemberData(nameof(RefreshRefusals))]
    public async Task A_public_client_gets_invalid_grant_with_keycloaks_reason(string description)
    {
        using var harness = new Harness(o =>
        {
            o.ClientSecret = null;
            o.RefreshToken = "keycloak-offline-token";
        });
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error("invalid_grant", description), HttpStatusCode.BadRequest));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal("invalid_grant", error.Error);
        Assert.Equal(description, error.ErrorDescription);
        Assert.Contains("obtain a new one", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RefreshRefusals))]
    public async Task A_confidential_client_starts_a_new_session_with_client_credentials(string description)
    {
        using var harness = new Harness(o => o.RefreshToken = "keycloak-offline-token");
        harness.OnToken = request => Task.FromResult(request.GrantType == "refresh_token"
            ? Harness.Json(TokenJson.Error("invalid_grant", description), HttpStatusCode.BadRequest)
            : Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)))));
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["refresh_token", "client_credentials"], harness.TokenRequests.Select(r => r.GrantType));
    }

    [Fact]
    public async Task Client_credentials_without_the_refresh_token_switch_runs_client_credentials_again_at_expiry()
    {
        // Keycloak's default since version 12: scope=offline_access silently returns only an access token.
        using var harness = new Harness();
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        (await client.GetAsync("items")).Dispose();

        Assert.Equal(["client_credentials", "client_credentials"], harness.TokenRequests.Select(r => r.GrantType));
    }
}
