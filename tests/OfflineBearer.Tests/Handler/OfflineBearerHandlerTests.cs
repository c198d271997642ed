using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.Handler;

public sealed class OfflineBearerHandlerTests
{
    [Fact]
    public async Task A_401_invalid_token_gets_a_new_token_and_the_request_is_sent_once_more()
    {
        using var harness = new Harness();
        string? rejected = null;
        harness.OnApi = request =>
        {
            rejected ??= request.BearerToken;
            return Task.FromResult(request.BearerToken == rejected ? Harness.Unauthorized() : new HttpResponseMessage(HttpStatusCode.OK));
        };
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, harness.TokenRequests.Count);
        Assert.Equal(2, harness.ApiRequests.Count);
        Assert.NotEqual(rejected, harness.ApiRequests.Last().BearerToken);
    }

    [Fact]
    public async Task A_401_storm_for_one_token_causes_one_refresh()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        await harness.RevokeTheFirstTokenAsync(client);

        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => client.GetAsync("items")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(2, harness.TokenRequests.Count);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task A_401_for_a_token_already_replaced_uses_the_newer_token_without_another_refresh()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        (await client.GetAsync("warm-up")).Dispose();
        var old = harness.ApiRequests.Single().BearerToken;
        var slowAnswer = new TaskCompletionSource<HttpResponseMessage>();
        harness.OnApi = request => request.BearerToken == old && request.Uri.AbsolutePath == "/slow"
            ? slowAnswer.Task
            : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        var slow = client.GetAsync("slow");
        harness.Time.Advance(TimeSpan.FromSeconds(250)); // inside the window: the next call refreshes
        (await client.GetAsync("fast")).Dispose();

        slowAnswer.SetResult(Harness.Unauthorized());
        using var response = await slow;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, harness.TokenRequests.Count);
        Assert.Equal(harness.ApiRequests.First(r => r.Uri.AbsolutePath == "/fast").BearerToken, harness.ApiRequests.Last().BearerToken);
    }

    [Fact]
    public async Task A_second_401_goes_back_to_the_caller_as_it_is()
    {
        using var harness = new Harness();
        harness.OnApi = _ => Task.FromResult(Harness.Unauthorized());
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(2, harness.ApiRequests.Count);
        Assert.Equal(2, harness.TokenRequests.Count);
    }

    [Theory]
    [InlineData(HttpStatusCode.Forbidden, null)]
    [InlineData(HttpStatusCode.Unauthorized, "Bearer error=\"insufficient_scope\", scope=\"admin\"")]
    [InlineData(HttpStatusCode.Unauthorized, "Bearer error=\"invalid_request\"")]
    [InlineData(HttpStatusCode.Unauthorized, "Basic realm=\"api\"")]
    public async Task Answers_that_a_new_token_cannot_fix_are_not_retried(HttpStatusCode status, string? challenge)
    {
        using var harness = new Harness();
        harness.OnApi = _ =>
        {
            var response = new HttpResponseMessage(status);
            if (challenge is not null)
            {
                response.Headers.TryAddWithoutValidation("WWW-Authenticate", challenge);
            }

            return Task.FromResult(response);
        };
        using var client = harness.CreateClient();

        using var answer = await client.GetAsync("items");

        Assert.Equal(status, answer.StatusCode);
        Assert.Single(harness.ApiRequests);
        Assert.Single(harness.TokenRequests);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer")]
    [InlineData("Bearer realm=\"api\", error=\"invalid_token\", error_description=\"The token expired\"")]
    [InlineData("DPoP algs=\"ES256\", Bearer error=\"invalid_token\"")]
    public async Task A_401_that_a_new_token_can_fix_is_retried(string? challenge)
    {
        using var harness = new Harness();
        harness.OnApi = _ => Task.FromResult(harness.ApiRequests.Count == 1
            ? Harness.Unauthorized(challenge)
            : new HttpResponseMessage(HttpStatusCode.OK));
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, harness.ApiRequests.Count);
    }

    [Fact]
    public async Task The_resent_request_has_the_same_method_uri_headers_and_body()
    {
        using var harness = new Harness();
        harness.OnApi = _ => Task.FromResult(harness.ApiRequests.Count == 1
            ? Harness.Unauthorized()
            : new HttpResponseMessage(HttpStatusCode.Created));
        using var client = harness.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Put, "items/42?x=1")
        {
            Content = new StringContent("{\"name\":\"widget\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Correlation", "abc");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var (first, second) = (harness.ApiRequests.First(), harness.ApiRequests.Last());
        Assert.Equal(first.Method, second.Method);
        Assert.Equal(first.Uri, second.Uri);
        Assert.Equal("{\"name\":\"widget\"}", second.Body);
        Assert.Equal("abc", second.Headers["X-Correlation"]);
        Assert.NotEqual(first.BearerToken, second.BearerToken);
    }

    [Fact]
    public async Task Json_content_is_resent()
    {
        using var harness = new Harness();
        harness.OnApi = _ => Task.FromResult(harness.ApiRequests.Count == 1
            ? Harness.Unauthorized()
            : new HttpResponseMessage(HttpStatusCode.OK));
        using var client = harness.CreateClient();

        using var response = await client.PostAsJsonAsync("items", new { name = "widget" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(harness.ApiRequests.First().Body, harness.ApiRequests.Last().Body);
    }

    [Fact]
    public async Task A_streamed_body_is_not_resent_but_the_next_request_gets_a_new_token()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        await harness.RevokeTheFirstTokenAsync(client);
        using var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("payload")));

        using var upload = await client.PostAsync("upload", content);
        using var next = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.Unauthorized, upload.StatusCode);
        Assert.Single(harness.ApiRequests, r => r.Uri.AbsolutePath == "/upload");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(2, harness.TokenRequests.Count);

        // The token was renewed when the upload met the 401, so the next request goes out once, with the new token.
        Assert.Equal(["/warm-up", "/upload", "/items"], harness.ApiRequests.Select(r => r.Uri.AbsolutePath));
        Assert.NotEqual(harness.ApiRequests.First().BearerToken, harness.ApiRequests.Last().BearerToken);
    }

    [Fact]
    public async Task Two_offline_bearer_handlers_in_one_pipeline_resend_a_request_once_in_all()
    {
        using var harness = new Harness(services: s => s.AddHttpClient(Harness.ClientName).AddOfflineBearerHandler(_ => { }));
        harness.OnApi = _ => Task.FromResult(Harness.Unauthorized());
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(2, harness.ApiRequests.Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_401_answer_is_disposed_when_the_request_is_resent_or_the_renewal_fails(bool renewalWorks)
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        await harness.RevokeTheFirstTokenAsync(client);
        var refusals = new List<DisposalTrackingContent>();
        var revoked = harness.ApiRequests.Single().BearerToken;
        harness.OnApi = request =>
        {
            if (request.BearerToken != revoked)
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
            }

            var refusal = Harness.Unauthorized();
            refusal.Content = new DisposalTrackingContent();
            refusals.Add((DisposalTrackingContent)refusal.Content);
            return Task.FromResult(refusal);
        };
        if (!renewalWorks)
        {
            harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error("invalid_client", "no"), HttpStatusCode.Unauthorized));
        }

        var call = client.GetAsync("items");
        if (renewalWorks)
        {
            (await call).Dispose();
        }
        else
        {
            await Assert.ThrowsAsync<OfflineBearerException>(() => call);
        }

        Assert.True(Assert.Single(refusals).Disposed);
    }

    [Fact]
    public async Task The_nonce_challenge_is_disposed_when_the_request_is_resent_with_the_nonce()
    {
        using var harness = new Harness(o => o.DPoP = true);
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)))
            .Replace("\"token_type\":\"Bearer\"", "\"token_type\":\"DPoP\"", StringComparison.Ordinal)));
        var challenge = Harness.Unauthorized("DPoP error=\"use_dpop_nonce\"");
        challenge.Headers.Add("DPoP-Nonce", "api-1");
        var refusal = new DisposalTrackingContent();
        challenge.Content = refusal;
        harness.OnApi = _ => Task.FromResult(harness.ApiRequests.Count == 1 ? challenge : new HttpResponseMessage(HttpStatusCode.OK));
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(refusal.Disposed);
    }

    [Fact]
    public async Task When_the_refresh_after_a_401_fails_the_caller_gets_the_typed_error()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        (await client.GetAsync("warm-up")).Dispose();
        harness.OnApi = _ => Task.FromResult(Harness.Unauthorized());
        harness.OnToken = _ => Task.FromResult(Harness.Json(
            TokenJson.Error("invalid_client", "Invalid client credentials"), HttpStatusCode.Unauthorized));

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal("invalid_client", error.Error);
    }

    [Fact]
    public async Task A_plain_http_api_gets_no_token_while_RequireHttps_is_on()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("http://api.test/items"));

        Assert.Contains("plain http", error.Message, StringComparison.Ordinal);
        Assert.Contains("Use https, or set RequireHttps to false if the network is trusted.", error.Message, StringComparison.Ordinal);
        Assert.Empty(harness.ApiRequests);
        Assert.Empty(harness.TokenRequests);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000/items")]
    [InlineData("http://127.1.2.3/items")]
    [InlineData("http://[::1]:5000/items")]
    [InlineData("http://localhost/items")]
    public async Task Loopback_http_is_allowed(string address)
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();

        using var response = await client.GetAsync(address);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(harness.ApiRequests.Single().BearerToken);
    }

    [Fact]
    public async Task Plain_http_is_allowed_when_the_user_opts_out()
    {
        using var harness = new Harness(o => o.RequireHttps = false);
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("http://api.test/items");

        Assert.NotNull(harness.ApiRequests.Single().BearerToken);
    }

    [Fact]
    public void Synchronous_send_is_refused_with_a_clear_error()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "items");

        var error = Assert.Throws<NotSupportedException>(() => client.Send(request));

        Assert.Contains("SendAsync", error.Message, StringComparison.Ordinal);
        Assert.Empty(harness.ApiRequests);
    }

    private sealed class DisposalTrackingContent : StringContent
    {
        public DisposalTrackingContent()
            : base("refused")
        {
        }

        public bool Disposed { get; private set; }

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }
}
