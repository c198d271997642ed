using OfflineBearer.IntegrationTests.Support;
using static OfflineBearer.IntegrationTests.Testing.TokenEndpointCalls;

namespace OfflineBearer.IntegrationTests.Testing;

/// <summary>
/// Client authentication with a workload token as <c>client_assertion</c> (Keycloak 26.5 "Signed JWT - Federated"): the
/// token's subject names the client; the checks Keycloak makes for a Kubernetes token refuse it with <c>invalid_client</c>.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class WorkloadClientAuthenticationTests(DevServerFixture servers)
{
    [Fact]
    public async Task A_workload_token_without_client_id_authenticates_the_client_its_subject_maps_to_and_refreshes_its_tokens()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var server = harness.Server;
        var workloadToken = server.WorkloadIssuer.CreateToken();

        var granted = await PostAsync(server, [("grant_type", "client_credentials"), ("scope", TestTokenServer.OfflineScope), .. WorkloadAssertion(workloadToken)]);
        var refreshed = await PostAsync(server, [("grant_type", "refresh_token"), ("refresh_token", granted.RefreshToken!), .. WorkloadAssertion(workloadToken)]);

        Assert.Null(granted.Error);
        Assert.Equal(TestTokenServer.WorkloadClientId, granted.Claims.GetProperty("sub").GetString());
        Assert.Equal(TestTokenServer.WorkloadClientId, granted.Claims.GetProperty("client_id").GetString());
        Assert.Null(refreshed.Error); // the same token again: Kubernetes tokens may be reused until they expire
        Assert.Equal(TestTokenServer.WorkloadClientId, refreshed.Claims.GetProperty("client_id").GetString());
        Assert.Equal(1, harness.Ledger.TokenRequests(TestTokenServer.WorkloadClientId, "client_credentials"));
        Assert.Equal(1, harness.Ledger.TokenRequests(TestTokenServer.WorkloadClientId, "refresh_token"));
        var logged = harness.Ledger.TokenRequestLog[0];
        Assert.Equal(TestTokenServer.WorkloadClientId, logged.ClientId);
        Assert.Null(logged.Value("client_id"));
        Assert.Equal(workloadToken, logged.Value("client_assertion"));
        Assert.Equal(JwtBearerAssertionType, logged.Value("client_assertion_type"));
    }

    [Fact]
    public async Task A_workload_token_with_the_client_id_of_its_client_authenticates_too()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);

        var answer = await PostAsync(harness.Server,
            [("grant_type", "client_credentials"), ("client_id", TestTokenServer.WorkloadClientId), .. WorkloadAssertion(harness.Server.WorkloadIssuer.CreateToken())]);

        Assert.Null(answer.Error);
        Assert.Equal(TestTokenServer.WorkloadClientId, answer.Claims.GetProperty("client_id").GetString());
        Assert.Null(answer.RefreshToken); // no offline_access asked
    }

    [Fact]
    public async Task The_issuer_as_audience_may_lack_its_trailing_slash_as_OpenIddict_and_Keycloak_name_it()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var issuer = harness.Server.Authority.AbsoluteUri;

        var answer = await PostAsync(harness.Server,
            [("grant_type", "client_credentials"), .. WorkloadAssertion(harness.Server.WorkloadIssuer.CreateToken(audience: issuer.TrimEnd('/')))]);
        var longer = await PostAsync(harness.Server,
            [("grant_type", "client_credentials"), .. WorkloadAssertion(harness.Server.WorkloadIssuer.CreateToken(audience: issuer + "connect/token"))]);

        Assert.Null(answer.Error);
        Assert.Equal("invalid_client", longer.Error); // the token endpoint is not the issuer
    }

    [Theory]
    [InlineData("expired", "expired at ")]
    [InlineData("lives longer than an hour", "lives 3601 s (exp - iat); at most 3600 s are accepted")]
    [InlineData("for another audience", "has the audience 'https://keycloak.example/realms/prod'; it must be the issuer")]
    [InlineData("for two audiences", "must have exactly one audience, the issuer")]
    [InlineData("issued in the future", "was issued in the future")]
    [InlineData("without exp", "has no exp")]
    [InlineData("without sub", "has no sub")]
    [InlineData("not yet valid", "is not valid before ")]
    [InlineData("of a subject mapped to no client", "has the subject 'system:serviceaccount:jobs:stranger', the federated identity of no client")]
    [InlineData("signed by another key", "is not signed by the workload issuer's key")]
    public async Task A_workload_token_that_fails_a_check_is_invalid_client_saying_which(string flaw, string description)
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        var token = FlawedWorkloadTokens.Make(harness, flaw);

        var answer = await PostAsync(harness.Server, [("grant_type", "client_credentials"), .. WorkloadAssertion(token)]);

        Assert.Equal("invalid_client", answer.Error);
        Assert.Contains("The client assertion ", answer.Description, StringComparison.Ordinal);
        Assert.Contains(description, answer.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(token, answer.Description, StringComparison.Ordinal);
        Assert.Equal(0, harness.Ledger.TokenRequests(TestTokenServer.WorkloadClientId));
        Assert.Equal("invalid_client", Assert.Single(harness.Ledger.TokenRequestLog).Error);
    }

    [Fact]
    public async Task The_workload_client_has_no_secret_and_a_secret_client_cannot_use_a_workload_token()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);

        var withSecret = await PostAsync(harness.Server,
            [("grant_type", "client_credentials"), ("client_id", TestTokenServer.WorkloadClientId), ("client_secret", "guess")]);
        var asBasicClient = await PostAsync(harness.Server,
            [("grant_type", "client_credentials"), ("client_id", TestTokenServer.BasicClientId), .. WorkloadAssertion(harness.Server.WorkloadIssuer.CreateToken())]);

        Assert.Equal("invalid_client", withSecret.Error);
        Assert.Contains("must authenticate with federated-jwt", withSecret.Description, StringComparison.Ordinal);
        Assert.Equal("invalid_client", asBasicClient.Error);
        Assert.Contains("must authenticate with client_secret_basic, not federated-jwt", asBasicClient.Description, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => TestTokenServer.SecretOf(TestTokenServer.WorkloadClientId));
        var noOptions = Assert.Throws<InvalidOperationException>(() => harness.Server.ClientOptions(TestTokenServer.WorkloadClientId));
        Assert.Contains("WorkloadIssuer.CreateToken()", noOptions.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WorkloadSubjects_makes_more_clients_federated_and_a_client_id_must_name_the_subjects_client()
    {
        const string BatchSubject = "system:serviceaccount:jobs:batch";
        await using var server = await TestTokenServer.StartAsync(o =>
        {
            o.Clients.Add("batch-client");
            o.WorkloadSubjects[BatchSubject] = "batch-client";
            o.ConfigureLogging = _ => { };
        });
        var batchToken = server.WorkloadIssuer.CreateToken(subject: BatchSubject);

        var asBatch = await PostAsync(server, [("grant_type", "client_credentials"), .. WorkloadAssertion(batchToken)]);
        var namingBatch = await PostAsync(server, [("grant_type", "client_credentials"), ("client_id", "batch-client"), .. WorkloadAssertion(batchToken)]);
        var namingAnother = await PostAsync(server,
            [("grant_type", "client_credentials"), ("client_id", TestTokenServer.WorkloadClientId), .. WorkloadAssertion(batchToken)]);
        var defaultStays = await PostAsync(server, [("grant_type", "client_credentials"), .. WorkloadAssertion(server.WorkloadIssuer.CreateToken())]);

        Assert.Equal("batch-client", asBatch.Claims.GetProperty("client_id").GetString());
        Assert.Equal("batch-client", namingBatch.Claims.GetProperty("client_id").GetString());
        Assert.Equal("invalid_client", namingAnother.Error);
        Assert.Contains(
            "The client_id 'workload-client' is not the client 'batch-client' whose federated identity the client assertion's subject is",
            namingAnother.Description,
            StringComparison.Ordinal);
        Assert.Equal(TestTokenServer.WorkloadClientId, defaultStays.Claims.GetProperty("client_id").GetString());
        Assert.Equal(2, server.Ledger.TokenRequests("batch-client"));
    }

    [Theory]
    [InlineData(TestTokenServer.PublicClientId)]
    [InlineData("nobody")]
    public async Task A_subject_must_map_to_a_confidential_client_the_server_registers(string clientId)
    {
        var failure = await Assert.ThrowsAsync<ArgumentException>(() => TestTokenServer.StartAsync(o => o.WorkloadSubjects["system:serviceaccount:a:b"] = clientId));

        Assert.Contains($"it maps 'system:serviceaccount:a:b' to '{clientId}'", failure.Message, StringComparison.Ordinal);
    }
}
