using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OfflineBearer.Caching;
using OfflineBearer.Handler;
using OfflineBearer.Keys;
using OfflineBearer.Stores;
using OfflineBearer.Tests.Support;
using OfflineBearer.TokenEndpoint;
using OfflineBearer.Validation;

namespace OfflineBearer.Tests.DPoP;

/// <summary>
/// DPoP (#12, RFC 9449) against MockHttp servers: proofs on token and API requests, the nonce dance on both sides judged
/// per request (a challenge is answered when it names another nonce than the request's own proof carried), and never more
/// than one resend of a request for a nonce and one with a new token, whatever 401s come.
/// </summary>
public sealed class DPoPTests
{
    [Fact]
    public async Task Token_and_api_requests_carry_proofs_of_one_key_and_a_bound_token_is_sent_as_DPoP()
    {
        using var harness = DPoPHarness();
        using var client = harness.CreateClient();

        (await client.GetAsync("items?page=2#top")).Dispose();
        (await client.GetAsync("items/7")).Dispose();

        var tokenProof = await VerifyAsync(harness.TokenRequests.Single().Headers["DPoP"]);
        Assert.Equal("POST", tokenProof.Claim("htm"));
        Assert.Equal(Harness.TokenEndpoint.AbsoluteUri, tokenProof.Claim("htu"));
        Assert.Null(tokenProof.Claim("ath"));

        var api = harness.ApiRequests.ToArray();
        var token = api[0].Authorization!.Parameter!;
        Assert.All(api, r => Assert.Equal("DPoP", r.Authorization!.Scheme));
        var proofs = await Task.WhenAll(api.Select(r => VerifyAsync(r.Headers["DPoP"])));
        Assert.Equal(["GET", "GET"], proofs.Select(p => p.Claim("htm")));
        Assert.Equal(["https://api.test/items", "https://api.test/items/7"], proofs.Select(p => p.Claim("htu")));
        Assert.All(proofs, p => Assert.Equal(Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(token))), p.Claim("ath")));
        Assert.All(proofs, p => Assert.Equal(harness.Time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), p.Claim("iat")));
        Assert.Equal(3, new[] { tokenProof }.Concat(proofs).Select(p => p.Id).Distinct().Count());
        Assert.Single(new[] { tokenProof }.Concat(proofs).Select(p => p.Jkt).Distinct());
    }

    [Fact]
    public async Task A_server_that_does_not_bind_gets_plain_bearer_requests()
    {
        using var harness = DPoPHarness(tokenType: "Bearer");
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();

        Assert.True(harness.TokenRequests.Single().Headers.ContainsKey("DPoP"));
        Assert.Equal("Bearer", harness.ApiRequests.Single().Authorization!.Scheme);
        Assert.False(harness.ApiRequests.Single().Headers.ContainsKey("DPoP"));
    }

    [Fact]
    public async Task The_token_endpoints_nonce_is_used_after_one_retry_and_kept_for_later_token_requests()
    {
        using var harness = DPoPHarness();
        var issued = 0;
        harness.OnToken = request =>
        {
            var nonce = Decode(request.Headers["DPoP"]).Claim("nonce");
            if (nonce != "n-1")
            {
                return Task.FromResult(TokenNonceChallenge("n-1"));
            }

            issued++;
            return Task.FromResult(Harness.Json(BoundToken(harness.IssueJwt(TimeSpan.FromMinutes(5)))));
        };
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        (await client.GetAsync("items")).Dispose();

        Assert.Equal(3, harness.TokenRequests.Count);
        Assert.Equal([null, "n-1", "n-1"], harness.TokenRequests.Select(r => Decode(r.Headers["DPoP"]).Claim("nonce")));
        Assert.Equal(2, issued);
    }

    [Fact]
    public async Task A_nonce_the_server_keeps_refusing_is_not_chased()
    {
        using var harness = DPoPHarness();
        harness.OnToken = _ =>
        {
            var refusal = EndpointServer.Error("use_dpop_nonce", "again");
            refusal.Headers.Add("DPoP-Nonce", "n-1");
            return Task.FromResult(refusal);
        };
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal("use_dpop_nonce", error.Error);
        Assert.Equal(2, harness.TokenRequests.Count);
    }

    [Fact]
    public async Task A_new_nonce_on_another_refusal_is_kept_but_the_request_is_not_sent_again()
    {
        using var harness = DPoPHarness();
        harness.OnToken = _ =>
        {
            var refusal = EndpointServer.Error("invalid_client", "Unknown client");
            refusal.Headers.Add("DPoP-Nonce", "n-1");
            return Task.FromResult(refusal);
        };
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal("invalid_client", error.Error);
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task A_nonce_asked_for_with_a_status_other_than_400_is_still_given_once()
    {
        using var harness = DPoPHarness();
        harness.OnToken = request =>
        {
            if (Decode(request.Headers["DPoP"]).Claim("nonce") == "n-1")
            {
                return Task.FromResult(Harness.Json(BoundToken(harness.IssueJwt(TimeSpan.FromMinutes(5)))));
            }

            var refusal = EndpointServer.Error("use_dpop_nonce", "nonce required", HttpStatusCode.Unauthorized);
            refusal.Headers.Add("DPoP-Nonce", "n-1");
            return Task.FromResult(refusal);
        };
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, harness.TokenRequests.Count);
    }

    /// <summary>
    /// Issue 18, at the token endpoint: a token request that left with the old nonce was not retried when another request
    /// (a token request, or an API call to the same origin) had learned the new nonce first.
    /// </summary>
    [Fact]
    public async Task A_token_request_sent_with_the_old_nonce_is_retried_with_the_new_one_another_request_learned_first()
    {
        using var server = new EndpointServer();
        var current = "n-1";
        var hold = 0;
        var held = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        server.OnRequest = async request =>
        {
            if (Interlocked.Exchange(ref hold, 0) == 1)
            {
                held.SetResult();
                await release.Task;
            }

            return Decode(request.Headers["DPoP"]).Claim("nonce") == current ? Harness.Json(TokenJson.Success("access")) : TokenNonceChallenge(current);
        };
        var endpoint = server.Client(o => o.DPoP = true);
        await endpoint.RequestAsync(TokenGrant.ClientCredentials(scope: null), CancellationToken.None);
        current = "n-2";
        hold = 1;

        var slow = endpoint.RequestAsync(TokenGrant.ClientCredentials(scope: null), CancellationToken.None);
        await held.Task;
        var quick = await endpoint.RequestAsync(TokenGrant.ClientCredentials(scope: null), CancellationToken.None);
        release.SetResult();
        var slowResponse = await slow;

        Assert.True(quick.IsSuccess);
        Assert.True(slowResponse.IsSuccess);
        Assert.Equal([null, "n-1", "n-1", "n-1", "n-2", "n-2"], server.Calls.Select(r => Decode(r.Headers["DPoP"]).Claim("nonce")));
    }

    [Theory]
    [InlineData("n-1")]
    [InlineData(null)]
    public async Task A_token_request_challenged_with_no_other_nonce_than_its_proof_carried_is_not_retried(string? challenge)
    {
        using var server = new EndpointServer();
        server.OnRequest = _ => Task.FromResult(
            server.Calls.Count == 1 ? WithNonce(Harness.Json(TokenJson.Success("access")), "n-1")
            : challenge is null ? EndpointServer.Error("use_dpop_nonce", "Authorization server requires nonce in DPoP proof")
            : TokenNonceChallenge(challenge));
        var endpoint = server.Client(o => o.DPoP = true);
        await endpoint.RequestAsync(TokenGrant.ClientCredentials(scope: null), CancellationToken.None);

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => endpoint.RequestAsync(TokenGrant.ClientCredentials(scope: null), CancellationToken.None));

        Assert.Equal("use_dpop_nonce", error.Error);
        Assert.Equal([null, "n-1"], server.Calls.Select(r => Decode(r.Headers["DPoP"]).Claim("nonce")));
    }

    [Fact]
    public async Task A_nonce_in_the_answer_to_a_token_requests_retry_goes_into_the_next_token_requests_proof()
    {
        using var server = new EndpointServer();
        server.OnRequest = _ => Task.FromResult(server.Calls.Count == 1
            ? TokenNonceChallenge("n-1")
            : WithNonce(Harness.Json(TokenJson.Success("access")), $"n-{server.Calls.Count}"));
        var endpoint = server.Client(o => o.DPoP = true);

        await endpoint.RequestAsync(TokenGrant.ClientCredentials(scope: null), CancellationToken.None);
        await endpoint.RequestAsync(TokenGrant.ClientCredentials(scope: null), CancellationToken.None);

        Assert.Equal([null, "n-1", "n-2"], server.Calls.Select(r => Decode(r.Headers["DPoP"]).Claim("nonce")));
    }

    [Fact]
    public async Task A_DPoP_token_for_a_client_without_DPoP_is_refused_saying_what_to_set()
    {
        using var harness = new Harness(userDefaults: true);
        harness.OnToken = _ => Task.FromResult(Harness.Json(BoundToken(harness.IssueJwt(TimeSpan.FromMinutes(5)))));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal(
            "The token server answered the client_credentials request of OfflineBearer client 'inventory' with a token whose \"token_type\" is \"DPoP\": " +
            "it is bound to a key this client does not have. Set DPoP to true, or have the server issue bearer tokens to this client.",
            error.Message);
        Assert.Empty(harness.ApiRequests);
    }

    [Fact]
    public async Task An_invalid_grant_to_a_grant_other_than_refresh_gets_no_advice_about_offline_tokens_or_keys()
    {
        using var harness = DPoPHarness();
        harness.OnToken = _ => Task.FromResult(EndpointServer.Error("invalid_grant", "no"));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.EndsWith("'invalid_grant'. See ErrorDescription for the server's reason.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_apis_nonce_challenge_resends_once_with_the_nonce_which_later_requests_carry_from_the_start()
    {
        using var harness = DPoPHarness();
        harness.OnApi = request => Task.FromResult(Decode(request.Headers["DPoP"]).Claim("nonce") == "api-1"
            ? new HttpResponseMessage(HttpStatusCode.OK)
            : NonceChallenge("api-1"));
        using var client = harness.CreateClient();

        using var first = await client.PostAsync("items", new ByteArrayContent([1, 2, 3]));
        using var second = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal([null, "api-1", "api-1"], harness.ApiRequests.Select(r => Decode(r.Headers["DPoP"]).Claim("nonce")));
        Assert.Equal("\u0001\u0002\u0003", harness.ApiRequests.ElementAt(1).Body);
        Assert.Single(harness.TokenRequests);
    }

    /// <summary>
    /// The API's answers in turn ("nonce": a challenge for a nonce never given before; "token": invalid_token), then 200:
    /// how many sends the caller's request took and what it got. A request is resent once for a nonce and once with a new
    /// token, in either order, and never more, even where one more send would have passed.
    /// </summary>
    public static TheoryData<string, int, HttpStatusCode> Refusals => new()
    {
        { "nonce", 2, HttpStatusCode.OK },
        { "token", 2, HttpStatusCode.OK },
        { "nonce token", 3, HttpStatusCode.OK },
        { "token nonce", 3, HttpStatusCode.OK },
        { "nonce nonce", 2, HttpStatusCode.Unauthorized },
        { "token token", 2, HttpStatusCode.Unauthorized },
        { "nonce token nonce", 3, HttpStatusCode.Unauthorized },
        { "nonce token token", 3, HttpStatusCode.Unauthorized },
        { "token nonce token", 3, HttpStatusCode.Unauthorized },
        { "token nonce nonce", 3, HttpStatusCode.Unauthorized },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_request_is_resent_at_most_once_for_a_nonce_and_once_with_a_new_token(string refusals, int sends, HttpStatusCode status)
    {
        using var harness = DPoPHarness();
        var answers = refusals.Split(' ');
        harness.OnApi = _ => Task.FromResult(harness.ApiRequests.Count > answers.Length ? new HttpResponseMessage(HttpStatusCode.OK)
            : answers[harness.ApiRequests.Count - 1] == "nonce" ? NonceChallenge($"api-{harness.ApiRequests.Count}")
            : Harness.Unauthorized("DPoP error=\"invalid_token\""));
        using var client = harness.CreateClient();

        using var response = await client.PostAsync("items", new ByteArrayContent([1]));

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(sends, harness.ApiRequests.Count);
        Assert.Equal(1 + answers.Take(sends - 1).Count(a => a == "token"), harness.TokenRequests.Count);
    }

    [Fact]
    public async Task A_nonce_resend_then_a_resend_with_a_new_token_carry_the_nonce_and_then_the_new_token()
    {
        using var harness = DPoPHarness();
        harness.OnApi = _ => Task.FromResult(harness.ApiRequests.Count switch
        {
            1 => NonceChallenge("api-1"),
            2 => Harness.Unauthorized("DPoP error=\"invalid_token\""),
            _ => new HttpResponseMessage(HttpStatusCode.OK),
        });
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = harness.ApiRequests.ToArray();
        Assert.Equal([null, "api-1", "api-1"], sent.Select(r => Decode(r.Headers["DPoP"]).Claim("nonce")));
        Assert.Equal(sent[0].Authorization!.Parameter, sent[1].Authorization!.Parameter);
        Assert.NotEqual(sent[1].Authorization!.Parameter, sent[2].Authorization!.Parameter);
    }

    /// <summary>
    /// Issue 18: with the API's nonce rotating, a request that left with the old nonce came back to its caller as a 401
    /// when a concurrent request had learned the new nonce first, as only a nonce new to the client was chased.
    /// </summary>
    [Fact]
    public async Task A_request_sent_with_the_old_nonce_is_resent_when_a_concurrent_request_learned_the_new_one_first()
    {
        using var harness = DPoPHarness();
        var current = "api-1";
        var hold = 0;
        var held = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        harness.OnApi = async request =>
        {
            if (request.Uri.AbsolutePath == "/slow" && Interlocked.Exchange(ref hold, 0) == 1)
            {
                held.SetResult();
                await release.Task;
            }

            return Decode(request.Headers["DPoP"]).Claim("nonce") == current ? new HttpResponseMessage(HttpStatusCode.OK) : NonceChallenge(current);
        };
        using var client = harness.CreateClient();
        (await client.GetAsync("warm-up")).Dispose();
        current = "api-2";
        hold = 1;

        var slow = client.GetAsync("slow");
        await held.Task;
        using var quick = await client.GetAsync("quick");
        release.SetResult();
        using var slowResponse = await slow;

        Assert.Equal(HttpStatusCode.OK, quick.StatusCode);
        Assert.Equal(HttpStatusCode.OK, slowResponse.StatusCode);
        Assert.Equal(
            [("/warm-up", null), ("/warm-up", "api-1"), ("/slow", "api-1"), ("/quick", "api-1"), ("/quick", "api-2"), ("/slow", "api-2")],
            harness.ApiRequests.Select(r => (r.Uri.AbsolutePath, Decode(r.Headers["DPoP"]).Claim("nonce"))));
    }

    [Fact]
    public async Task A_nonce_challenge_that_names_no_nonce_is_not_resent()
    {
        using var harness = DPoPHarness();
        harness.OnApi = _ => Task.FromResult(harness.ApiRequests.Count == 1
            ? WithNonce(new HttpResponseMessage(HttpStatusCode.OK), "api-1")
            : Harness.Unauthorized("DPoP error=\"use_dpop_nonce\""));
        using var client = harness.CreateClient();
        (await client.GetAsync("warm-up")).Dispose();

        using var response = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(2, harness.ApiRequests.Count);
        Assert.Equal("api-1", Decode(harness.ApiRequests.Last().Headers["DPoP"]).Claim("nonce"));
    }

    [Fact]
    public async Task A_streamed_body_is_not_resent_for_a_nonce()
    {
        using var harness = DPoPHarness();
        harness.OnApi = _ => Task.FromResult(NonceChallenge("api-1"));
        using var client = harness.CreateClient();

        using var response = await client.PostAsync("items", new StreamContent(new MemoryStream([1, 2])));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Single(harness.ApiRequests);
    }

    [Fact]
    public async Task A_nonce_challenge_with_the_nonce_already_sent_is_not_resent()
    {
        using var harness = DPoPHarness(userDefaults: false);
        harness.OnApi = _ => Task.FromResult(WithNonce(Harness.Unauthorized("DPoP error=\"use_dpop_nonce\""), "api-1"));
        using var client = harness.CreateClient();

        using var first = await client.GetAsync("items");
        Assert.Equal(2, harness.ApiRequests.Count);
        using var second = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        Assert.Equal(3, harness.ApiRequests.Count);
        Assert.Equal("api-1", Decode(harness.ApiRequests.Last().Headers["DPoP"]).Claim("nonce"));
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task A_nonce_in_the_answer_to_a_nonce_resend_goes_into_the_next_requests_proof()
    {
        using var harness = DPoPHarness(userDefaults: false);
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
        Assert.Equal([null, "api-1", "api-2"], harness.ApiRequests.Select(r => Decode(r.Headers["DPoP"]).Claim("nonce")));
    }

    [Fact]
    public async Task A_nonce_in_the_answer_to_a_resend_with_a_new_token_goes_into_the_next_requests_proof()
    {
        using var harness = DPoPHarness(userDefaults: false);
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
        Assert.Equal([null, null, "api-2"], harness.ApiRequests.Select(r => Decode(r.Headers["DPoP"]).Claim("nonce")));
    }

    /// <summary>A request that comes through the handler again (an outer retry) still carries its earlier proof.</summary>
    [Fact]
    public async Task A_request_that_already_carries_a_proof_goes_with_one_new_proof()
    {
        using var harness = DPoPHarness(userDefaults: false);
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
        Assert.Equal("GET", Decode(proof).Claim("htm"));
    }

    [Fact]
    public async Task A_resend_with_a_bearer_token_after_a_bound_one_carries_no_proof()
    {
        using var harness = DPoPHarness(userDefaults: false);
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

    [Fact]
    public async Task A_key_file_gives_the_key_and_a_damaged_one_stops_the_host()
    {
        var directory = Directory.CreateTempSubdirectory("offlinebearer-dpop-").FullName;
        try
        {
            using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var keyPath = Path.Combine(directory, "dpop.pem");
            await File.WriteAllTextAsync(keyPath, ec.ExportPkcs8PrivateKeyPem());
            using (var harness = DPoPHarness(o => o.DPoPKeyPath = keyPath))
            {
                using var client = harness.CreateClient();
                (await client.GetAsync("items")).Dispose();
                Assert.Equal(KeyAlgorithms.Thumbprint(ec), (await VerifyAsync(harness.ApiRequests.Single().Headers["DPoP"])).Jkt);
            }

            var builder = Host.CreateApplicationBuilder();
            builder.Services.AddHttpClient("gateway").AddOfflineBearerHandler(o =>
            {
                o.Authority = "https://sso.example.org/realms/prod";
                o.ClientId = "gateway";
                o.ClientSecret = "secret";
                o.DPoP = true;
                o.DPoPKeyPath = Path.Combine(directory, "absent.pem");
            });
            using var host = builder.Build();
            var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
            Assert.Contains("DPoPKeyPath", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_fleet_needs_one_key_file_for_every_replica()
    {
        var validator = new OfflineBearerOptionsValidator(new InMemoryRefreshTokenStore(), new NoSharedStore());
        var keyPath = Path.Combine(Path.GetTempPath(), $"offlinebearer-fleet-{Guid.NewGuid():N}.pem");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        try
        {
            OfflineBearerOptions Options(string? path) => new()
            {
                TokenEndpoint = new Uri("https://sso.test/token"), ClientId = "gateway", ClientSecret = "secret", DPoP = true, DPoPKeyPath = path,
            };

            var withoutKey = validator.Validate("gateway", Options(null));
            var withKey = validator.Validate("gateway", Options(keyPath));

            Assert.Contains(
                "DPoP with a fleet's shared token store (AddOfflineBearerRedis) needs DPoPKeyPath, a key file every replica reads, so that each can use the tokens the others get.",
                withoutKey.FailureMessage,
                StringComparison.Ordinal);
            Assert.True(withKey.Succeeded, withKey.FailureMessage);
        }
        finally
        {
            File.Delete(keyPath);
        }
    }

    private static Harness DPoPHarness(Action<OfflineBearerOptions>? configure = null, string tokenType = "DPoP", bool userDefaults = true)
    {
        // The retries a user gets: a nonce refusal must not be mistaken for a transient failure and sent a third time.
        // The tests of the API's answers alone may turn them off, the harness's own default.
        var harness = new Harness(
            o =>
            {
                o.DPoP = true;
                configure?.Invoke(o);
            },
            userDefaults: userDefaults);
        harness.OnToken = _ => Task.FromResult(Harness.Json(BoundToken(harness.IssueJwt(TimeSpan.FromMinutes(5)), tokenType)));
        return harness;
    }

    private static string BoundToken(string accessToken, string tokenType = "DPoP") =>
        TokenJson.Success(accessToken).Replace("\"token_type\":\"Bearer\"", $"\"token_type\":\"{tokenType}\"", StringComparison.Ordinal);

    private static HttpResponseMessage NonceChallenge(string nonce) =>
        WithNonce(Harness.Unauthorized("DPoP error=\"use_dpop_nonce\", error_description=\"Resource server requires nonce in DPoP proof\""), nonce);

    private static HttpResponseMessage TokenNonceChallenge(string nonce) =>
        WithNonce(EndpointServer.Error("use_dpop_nonce", "Authorization server requires nonce in DPoP proof"), nonce);

    private static HttpResponseMessage WithNonce(HttpResponseMessage response, string nonce)
    {
        response.Headers.Add("DPoP-Nonce", nonce);
        return response;
    }

    private static Proof Decode(string proof) => new(new JsonWebToken(proof));

    /// <summary>Checks a proof as a server would: its type, and its signature against the key in its own header.</summary>
    private static async Task<Proof> VerifyAsync(string proof)
    {
        var token = new JsonWebToken(proof);
        Assert.Equal("dpop+jwt", token.Typ);
        Assert.True(token.TryGetHeaderValue<JsonElement>("jwk", out var jwkJson));
        var jwk = new JsonWebKey(jwkJson.GetRawText());
        Assert.False(jwk.HasPrivateKey);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(proof, new TokenValidationParameters
        {
            IssuerSigningKey = jwk,
            ValidTypes = ["dpop+jwt"],
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        return new Proof(token) { Jkt = Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint()) };
    }

    private sealed record Proof(JsonWebToken Token)
    {
        public string? Jkt { get; init; }

        public string Id => Token.Id;

        public string? Claim(string name) =>
            Token.TryGetPayloadValue<object>(name, out var value) ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    private sealed class NoSharedStore : ISharedTokenStore
    {
        public bool AllowLocalRefreshWhenUnavailable => false;

        public ValueTask<SharedTokenState?> ReadAsync(string clientName, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<string?> TryAcquireLeaseAsync(string clientName, TimeSpan duration, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<TimeSpan?> GetLeaseTimeLeftAsync(string clientName, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<bool> TryWriteAsync(string clientName, string lease, SharedTokenState state, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public ValueTask<bool> TryMarkRedeemingAsync(string clientName, string lease, bool redeeming, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public ValueTask ReleaseLeaseAsync(string clientName, string lease, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<SharedTokenState?> WaitForNewerAsync(string clientName, long version, TimeSpan timeout, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }

    private sealed class Answers(Func<HttpRequestMessage, Task<HttpResponseMessage>> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => answer(request);
    }
}
