using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.Refresh;

/// <summary>
/// The grants beyond client_credentials (jwt-bearer, token exchange) and what picks a token's target (resource, audience,
/// additional parameters), as a server sees them. Default resilience options.
/// </summary>
public sealed class GrantTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ob-grant-").FullName;

    private string TokenFile => Path.Combine(_directory, "token");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Jwt_bearer_sends_the_platforms_jwt_as_the_grant_with_the_clients_own_authentication()
    {
        using var harness = new Harness(o => JwtBearer(o), userDefaults: true);
        var assertion = WriteToken(harness, TimeSpan.FromHours(1));
        using var client = harness.CreateClient();

        (await client.GetAsync("readings")).Dispose();

        var request = Assert.Single(harness.TokenRequests);
        Assert.Equal("urn:ietf:params:oauth:grant-type:jwt-bearer", request.GrantType);
        Assert.Equal(assertion, request.Form["assertion"]);
        Assert.Equal("offline_access", request.Form["scope"]);
        Assert.Equal("Basic", request.Authorization?.Scheme);
        Assert.False(request.Form.ContainsKey("client_assertion"));
    }

    [Fact]
    public async Task Jwt_bearer_from_a_public_client_sends_its_id_and_needs_no_refresh_token()
    {
        using var harness = new Harness(
            o =>
            {
                JwtBearer(o);
                o.ClientSecret = null;
            },
            userDefaults: true);
        WriteToken(harness, TimeSpan.FromHours(1));
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("readings");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Harness.ClientId, Assert.Single(harness.TokenRequests).Form["client_id"]);
    }

    [Fact]
    public async Task Jwt_bearer_refused_is_sent_once_more_with_a_renewed_file_and_refreshes_a_refresh_token_it_got()
    {
        using var harness = new Harness(o => JwtBearer(o), userDefaults: true);
        var stale = WriteToken(harness, TimeSpan.FromHours(1));
        var refreshToken = harness.IssueRefreshToken();
        harness.OnToken = request =>
        {
            if (request.Form.GetValueOrDefault("assertion") == stale)
            {
                WriteToken(harness, TimeSpan.FromHours(1));
                return Task.FromResult(Harness.Json(TokenJson.Error("invalid_grant", "assertion used"), HttpStatusCode.BadRequest));
            }

            return Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)), refreshToken: refreshToken)));
        };
        using var client = harness.CreateClient();

        (await client.GetAsync("first")).Dispose();
        harness.Time.Advance(TimeSpan.FromMinutes(6));
        (await client.GetAsync("second")).Dispose();

        Assert.Equal(
            ["urn:ietf:params:oauth:grant-type:jwt-bearer", "urn:ietf:params:oauth:grant-type:jwt-bearer", "refresh_token"],
            harness.TokenRequests.Select(request => request.GrantType));
        Assert.Equal(refreshToken, harness.TokenRequests.Last().Form["refresh_token"]);
    }

    [Fact]
    public async Task Token_exchange_sends_the_subject_token_and_runs_anew_instead_of_refreshing()
    {
        using var harness = new Harness(
            o =>
            {
                o.Grant = OfflineBearerGrant.TokenExchange;
                o.SubjectTokenPath = TokenFile;
                o.RequestedTokenType = "urn:ietf:params:oauth:token-type:access_token";
                o.Audience = "inventory-api";
            },
            userDefaults: true);
        var subject = WriteToken(harness, TimeSpan.FromHours(2));
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)), refreshToken: harness.IssueRefreshToken())));
        using var client = harness.CreateClient();

        (await client.GetAsync("first")).Dispose();
        harness.Time.Advance(TimeSpan.FromMinutes(6));
        (await client.GetAsync("second")).Dispose();

        var requests = harness.TokenRequests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.All(requests, request =>
        {
            Assert.Equal("urn:ietf:params:oauth:grant-type:token-exchange", request.GrantType);
            Assert.Equal(subject, request.Form["subject_token"]);
            Assert.Equal("urn:ietf:params:oauth:token-type:access_token", request.Form["subject_token_type"]);
            Assert.Equal("urn:ietf:params:oauth:token-type:access_token", request.Form["requested_token_type"]);
            Assert.Equal("inventory-api", request.Form["audience"]);
            Assert.Equal("offline_access", request.Form["scope"]);
            Assert.False(request.Form.ContainsKey("refresh_token"));
        });
        Assert.Null(await harness.Services.GetRequiredService<IRefreshTokenStore>().GetAsync(Harness.ClientName, default));
    }

    [Fact]
    public async Task An_exchanged_token_never_outlives_its_subject_token()
    {
        using var harness = new Harness(
            o =>
            {
                o.Grant = OfflineBearerGrant.TokenExchange;
                o.SubjectTokenPath = TokenFile;
            },
            userDefaults: true);
        WriteToken(harness, TimeSpan.FromMinutes(2));
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromHours(1)))));
        using var client = harness.CreateClient();
        (await client.GetAsync("first")).Dispose();

        // The exchanged token says an hour; its subject expires in two minutes, and with it the exchanged token here:
        // kept for half a minute (before its refresh window), replaced when the subject expires.
        harness.Time.Advance(TimeSpan.FromSeconds(30));
        (await client.GetAsync("kept")).Dispose();
        Assert.Single(harness.TokenRequests);
        WriteToken(harness, TimeSpan.FromHours(1));
        harness.Time.Advance(TimeSpan.FromSeconds(90));
        (await client.GetAsync("second")).Dispose();

        Assert.Equal(2, harness.TokenRequests.Count);
    }

    [Fact]
    public async Task Resources_go_with_every_grant_and_the_audience_with_every_grant_but_a_refresh()
    {
        using var harness = new Harness(
            o =>
            {
                o.Resource.Add("https://inventory.example.org/");
                o.Resource.Add("https://orders.example.org/");
                o.Audience = "inventory-api";
                o.AdditionalParameters["tenant"] = "north";
            },
            userDefaults: true);
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)), refreshToken: harness.IssueRefreshToken())));
        using var client = harness.CreateClient();

        (await client.GetAsync("first")).Dispose();
        harness.Time.Advance(TimeSpan.FromMinutes(6));
        (await client.GetAsync("second")).Dispose();

        var (granted, refreshed) = (harness.TokenRequests.First(), harness.TokenRequests.Last());
        Assert.Equal(("client_credentials", "refresh_token"), (granted.GrantType, refreshed.GrantType));
        Assert.All([granted, refreshed], request =>
        {
            Assert.Equal("https://inventory.example.org/ https://orders.example.org/", request.Form["resource"]);
            Assert.Equal("north", request.Form["tenant"]);
        });
        Assert.Equal("inventory-api", granted.Form["audience"]);
        Assert.False(refreshed.Form.ContainsKey("audience"));
    }

    [Fact]
    public async Task Jwt_bearer_refused_for_another_reason_is_not_sent_again_even_with_a_renewed_file()
    {
        using var harness = new Harness(o => JwtBearer(o), userDefaults: true);
        WriteToken(harness, TimeSpan.FromHours(1));
        harness.OnToken = _ =>
        {
            WriteToken(harness, TimeSpan.FromHours(1));
            return Task.FromResult(Harness.Json(TokenJson.Error("invalid_scope", "no such scope"), HttpStatusCode.BadRequest));
        };
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("readings"));

        Assert.Equal("invalid_scope", error.Error);
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task Jwt_bearer_refused_is_asked_about_again_a_second_later_since_the_platform_may_renew_its_jwt()
    {
        using var harness = new Harness(o => JwtBearer(o), userDefaults: true);
        WriteToken(harness, TimeSpan.FromHours(1));
        var accepted = false;
        harness.OnToken = _ => Task.FromResult(Volatile.Read(ref accepted)
            ? Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5))))
            : Harness.Json(TokenJson.Error("invalid_grant", "assertion not trusted yet"), HttpStatusCode.BadRequest));
        using var client = harness.CreateClient();
        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("before"));

        Volatile.Write(ref accepted, true);
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        using var after = await client.GetAsync("after");

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(2, harness.TokenRequests.Count);
    }

    [Theory]
    [InlineData("jwt-bearer", "invalid_grant", "The server refused the platform's JWT as a grant (read again just now)")]
    [InlineData("token-exchange", "invalid_grant", "The server refused the subject token: expired or revoked")]
    [InlineData("token-exchange", "invalid_target", "The server refused the requested Resource or Audience")]
    [InlineData("token-exchange", "unsupported_grant_type", "The server does not offer this grant (or not to this client)")]
    public async Task A_refusal_of_a_new_grant_says_what_to_check(string grant, string refusal, string advice)
    {
        using var harness = new Harness(
            o =>
            {
                if (grant == "jwt-bearer")
                {
                    JwtBearer(o);
                }
                else
                {
                    o.Grant = OfflineBearerGrant.TokenExchange;
                    o.SubjectTokenPath = TokenFile;
                }
            },
            userDefaults: true);
        WriteToken(harness, TimeSpan.FromHours(1));
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error(refusal, "refused"), HttpStatusCode.BadRequest));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("readings"));

        Assert.Equal(refusal, error.Error);
        Assert.Contains(advice, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("client_credentials", true)]
    [InlineData("urn:ietf:params:oauth:grant-type:jwt-bearer", true)]
    [InlineData("urn:ietf:params:oauth:grant-type:token-exchange", true)]
    [InlineData("refresh_token", false)]
    [InlineData("authorization_code", false)]
    [InlineData("urn:ietf:params:oauth:grant-type:device_code", false)]
    public void The_audience_goes_only_with_the_grants_by_which_a_client_gets_a_token_for_itself(string grantType, bool sent)
    {
        var options = new OfflineBearerOptions { Audience = "inventory-api", Resource = { "https://inventory.example.org/" } };

        var form = new OfflineBearer.TokenEndpoint.TokenGrant(grantType, [], credential: null).Form(options);

        Assert.Equal(sent, form.Exists(field => field.Key == "audience"));
        Assert.Contains(KeyValuePair.Create("resource", "https://inventory.example.org/"), form);
        Assert.Equal(KeyValuePair.Create("grant_type", grantType), form[0]);
    }

    [Fact]
    public async Task A_secret_additional_parameter_the_server_echoes_never_reaches_the_error()
    {
        using var harness = new Harness(
            o =>
            {
                o.AdditionalParameters["api_key"] = "tenant-key-123";
                o.SecretParameters.Add("api_key");
            },
            userDefaults: true);
        harness.Secret("tenant-key-123");
        harness.OnToken = request => Task.FromResult(
            Harness.Json(TokenJson.Error("invalid_request", $"api_key {request.Form["api_key"]} unknown"), HttpStatusCode.BadRequest));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("readings"));

        Assert.Equal("tenant-key-123", harness.TokenRequests.Single().Form["api_key"]);
        Assert.DoesNotContain("tenant-key-123", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("api_key", error.ErrorDescription, StringComparison.Ordinal);
    }

    private void JwtBearer(OfflineBearerOptions options)
    {
        options.Grant = OfflineBearerGrant.JwtBearer;
        options.ClientAssertionPath = TokenFile;
    }

    private string WriteToken(Harness harness, TimeSpan lifetime)
    {
        var jwt = harness.Secret(Jwt.Lasting(lifetime, harness.Time.GetUtcNow()));
        File.WriteAllText(TokenFile, jwt);
        return jwt;
    }
}
