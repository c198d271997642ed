using System.Net;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.ClientAuthentication;

/// <summary>
/// A JWT the platform issues and renews (a Kubernetes projected token) as the client's authentication: read at every token
/// request, never sent expired, read once more before an <c>invalid_client</c> is final. Default resilience options.
/// </summary>
public sealed class PlatformAssertionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ob-assertion-").FullName;

    private string AssertionFile => Path.Combine(_directory, "token");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Every_token_request_carries_the_file_as_it_is_then_and_no_client_id()
    {
        using var harness = new Harness(Workload, userDefaults: true);
        var first = WriteAssertion(harness, TimeSpan.FromHours(1));
        using var client = harness.CreateClient();

        (await client.GetAsync("first")).Dispose();
        harness.Time.Advance(TimeSpan.FromMinutes(30));
        var second = WriteAssertion(harness, TimeSpan.FromHours(1));
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        (await client.GetAsync("second")).Dispose();

        var requests = harness.TokenRequests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal([first, second], requests.Select(request => request.Form["client_assertion"]));
        Assert.All(requests, request =>
        {
            Assert.Equal("urn:ietf:params:oauth:client-assertion-type:jwt-bearer", request.Form["client_assertion_type"]);
            Assert.Equal("client_credentials", request.GrantType);
            Assert.False(request.Form.ContainsKey("client_id"));
            Assert.False(request.Form.ContainsKey("client_secret"));
            Assert.Null(request.Authorization);
        });
    }

    [Fact]
    public async Task An_expired_file_is_reported_as_such_and_never_sent()
    {
        using var harness = new Harness(Workload, userDefaults: true);
        var expired = WriteAssertion(harness, TimeSpan.FromMinutes(10));
        harness.Time.Advance(TimeSpan.FromMinutes(11));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("readings"));

        Assert.Empty(harness.TokenRequests);
        Assert.Contains("expired at", error.Message, StringComparison.Ordinal);
        Assert.Contains(AssertionFile, error.Message, StringComparison.Ordinal);
        Assert.Contains("The platform renews it before it expires", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("check that the file is the one the platform keeps current.", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(expired, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_JWT_whose_exp_is_this_second_counts_as_expired()
    {
        using var harness = new Harness(Workload, userDefaults: true);
        File.WriteAllText(AssertionFile, harness.Secret(Jwt.Create(new { sub = "svc", exp = harness.Time.GetUtcNow().ToUnixTimeSeconds() })));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("readings"));

        Assert.Empty(harness.TokenRequests);
        Assert.Contains("expired at", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_file_is_a_typed_error_and_nothing_is_sent()
    {
        using var harness = new Harness(Workload, userDefaults: true);
        File.WriteAllText(AssertionFile, " \n");
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("readings"));

        Assert.Empty(harness.TokenRequests);
        Assert.Equal($"OfflineBearer client '{Harness.ClientName}': ClientAssertionPath '{AssertionFile}' is empty.", error.Message);
    }

    [Fact]
    public async Task A_provider_that_throws_is_named_without_a_path_and_its_exception_kept_inside()
    {
        using var harness = new Harness(
            o =>
            {
                Workload(o);
                o.ClientAssertionProvider = _ => throw new InvalidOperationException("metadata service down");
            },
            userDefaults: true);
        File.WriteAllText(AssertionFile, "unused");
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("readings"));

        Assert.Equal(
            $"OfflineBearer client '{Harness.ClientName}' could not read ClientAssertionProvider (InvalidOperationException). The inner exception says why.",
            error.Message);
        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Empty(harness.TokenRequests);
    }

    [Fact]
    public async Task A_file_that_holds_no_JWT_is_refused_before_sending()
    {
        using var harness = new Harness(Workload, userDefaults: true);
        File.WriteAllText(AssertionFile, "not-a-jwt\n");
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("readings"));

        Assert.Empty(harness.TokenRequests);
        Assert.Contains("does not hold a JWT", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_at_a_token_request_is_a_typed_error_naming_it()
    {
        using var harness = new Harness(Workload, userDefaults: true);
        WriteAssertion(harness, TimeSpan.FromHours(1));
        using var client = harness.CreateClient();
        (await client.GetAsync("first")).Dispose();
        File.Delete(AssertionFile);
        harness.Time.Advance(TimeSpan.FromMinutes(6));

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("second"));

        Assert.Contains($"could not read ClientAssertionPath '{AssertionFile}'", error.Message, StringComparison.Ordinal);
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task A_refusal_is_answered_once_with_a_file_the_platform_renewed_meanwhile()
    {
        using var harness = new Harness(Workload, userDefaults: true);
        var stale = WriteAssertion(harness, TimeSpan.FromHours(1));
        string? renewed = null;
        harness.OnToken = request =>
        {
            if (request.Form["client_assertion"] == stale)
            {
                // The platform writes the new token while the server refuses the old one.
                renewed = WriteAssertion(harness, TimeSpan.FromHours(1));
                return Task.FromResult(Harness.Json(TokenJson.Error("invalid_client", "assertion revoked"), HttpStatusCode.Unauthorized));
            }

            return Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)))));
        };
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("readings");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([stale, renewed], harness.TokenRequests.Select(request => request.Form["client_assertion"]));
    }

    [Fact]
    public async Task A_refusal_of_the_current_file_is_final_names_the_file_and_carries_no_assertion()
    {
        using var harness = new Harness(Workload, userDefaults: true);
        var assertion = WriteAssertion(harness, TimeSpan.FromHours(1));
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error("invalid_client", $"bad assertion {assertion}"), HttpStatusCode.Unauthorized));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("readings"));

        Assert.Single(harness.TokenRequests);
        Assert.Equal("invalid_client", error.Error);
        Assert.Contains($"ClientAssertionPath '{AssertionFile}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Keycloak: the realm's issuer URL", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(assertion, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(assertion, error.ErrorDescription, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_provider_is_asked_at_every_token_request_and_wins_over_the_file()
    {
        var calls = 0;
        Harness? current = null;
        using var harness = new Harness(
            o =>
            {
                Workload(o);
                o.ClientAssertionProvider = _ =>
                {
                    Interlocked.Increment(ref calls);
                    return ValueTask.FromResult(current!.Secret(Jwt.Lasting(TimeSpan.FromMinutes(10), current.Time.GetUtcNow())));
                };
            },
            userDefaults: true);
        current = harness;
        File.WriteAllText(AssertionFile, "never read");
        using var client = harness.CreateClient();

        (await client.GetAsync("first")).Dispose();
        harness.Time.Advance(TimeSpan.FromMinutes(6));
        (await client.GetAsync("second")).Dispose();

        Assert.Equal(2, calls);
        Assert.Equal(2, harness.TokenRequests.Select(request => request.Form["client_assertion"]).Distinct().Count());
    }

    private void Workload(OfflineBearerOptions options)
    {
        options.ClientSecret = null;
        options.ClientAuthentication = ClientAuthenticationMethod.ClientAssertion;
        options.ClientAssertionPath = AssertionFile;
    }

    private string WriteAssertion(Harness harness, TimeSpan lifetime)
    {
        var jwt = harness.Secret(Jwt.Lasting(lifetime, harness.Time.GetUtcNow()));
        File.WriteAllText(AssertionFile, jwt + "\n");
        return jwt;
    }
}
