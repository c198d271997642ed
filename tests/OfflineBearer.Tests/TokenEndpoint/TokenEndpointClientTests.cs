using System.Net;
using System.Text;
using OfflineBearer.Tests.Support;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tests.TokenEndpoint;

public sealed class TokenEndpointClientTests
{
    /// <summary>The response printed by the Keycloak runbook in seed 000, verbatim.</summary>
    private const string Seed000Response = """
        {
          "access_token": "longAsciiStringTruncated",
          "expires_in": 31536000,
          "refresh_expires_in": 0,
          "refresh_token": "anotherLongAsciiStringTruncated",
          "token_type": "bearer",
          "not-before-policy": 0,
          "session_state": "80a96e21-0942-447e-b1d7-21da55d3ff4a",
          "scope": "profile offline_access email"
        }
        """;

    /// <summary>The example of seed 003: unquoted refresh token and a stray quote, so not JSON at all.</summary>
    private const string Seed003Response = """
        {
            "access_token": "<ACCESS_TOKEN>",
            "token_type": "bearer",
            "expires_in": 300,
            "refresh_token": <REFRESH_TOKEN>,
            "typ": Offline",
            "refresh_expires_in": 0
        }
        """;

    [Fact]
    public async Task The_keycloak_runbook_response_gives_a_token_for_a_year_and_its_refresh_token_afterwards()
    {
        using var harness = new Harness();
        harness.Secret("longAsciiStringTruncated");
        harness.Secret("anotherLongAsciiStringTruncated");
        harness.OnToken = _ => Task.FromResult(Harness.Json(Seed000Response));
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();
        harness.Time.Advance(TimeSpan.FromDays(200));
        (await client.GetAsync("items")).Dispose();

        Assert.Single(harness.TokenRequests);
        Assert.All(harness.ApiRequests, r => Assert.Equal("longAsciiStringTruncated", r.BearerToken));

        harness.Time.Advance(TimeSpan.FromDays(165) - TimeSpan.FromSeconds(30)); // inside the last minute of the year
        (await client.GetAsync("items")).Dispose();

        Assert.Equal(2, harness.TokenRequests.Count);
        Assert.Equal("anotherLongAsciiStringTruncated", harness.TokenRequests.Last().Form["refresh_token"]);
    }

    [Fact]
    public async Task A_body_that_is_not_json_gives_a_clear_error_without_the_body()
    {
        using var harness = new Harness();
        harness.OnToken = _ => Task.FromResult(Harness.Json(Seed003Response));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ACCESS_TOKEN", error.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, error.StatusCode);
    }

    [Fact]
    public async Task An_html_error_page_gives_the_status_code_and_a_short_message()
    {
        using var harness = new Harness();
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.BadGateway)
        {
            Content = new StringContent("<html><body><h1>502 Bad Gateway</h1></body></html>", Encoding.UTF8, "text/html"),
        });
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal(HttpStatusCode.BadGateway, error.StatusCode);
        Assert.Null(error.Error);
        Assert.Contains("text/html", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("<html>", error.Message, StringComparison.Ordinal);
    }

    /// <summary>With or without a Content-Length (an unseekable stream has none), every size up to the limit is read
    /// whole and one byte more is refused.</summary>
    [Theory]
    [InlineData(3 * 1024, true, false)]
    [InlineData(100 * 1024, true, false)]
    [InlineData(TokenServerConnection.MaxBodyBytes, true, false)]
    [InlineData(TokenServerConnection.MaxBodyBytes + 1, false, false)]
    [InlineData(TokenServerConnection.MaxBodyBytes, true, true)]
    [InlineData(TokenServerConnection.MaxBodyBytes + 1, false, true)]
    public async Task A_streamed_body_is_read_whole_up_to_the_limit(int size, bool accepted, bool withContentLength)
    {
        using var harness = new Harness();
        var token = harness.IssueJwt(TimeSpan.FromMinutes(5));
        var head = "{\"token_type\":\"Bearer\",\"access_token\":\"" + token + "\",\"padding\":\"";
        var body = Encoding.UTF8.GetBytes(head + new string('p', size - head.Length - 2) + "\"}");
        Assert.Equal(size, body.Length);
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StreamContent(withContentLength ? new MemoryStream(body) : new UnseekableStream(body), bufferSize: 1000)
            {
                Headers = { ContentType = new("application/json") },
            },
        });
        using var client = harness.CreateClient();

        var call = client.GetAsync("items");

        if (accepted)
        {
            Assert.Equal(HttpStatusCode.OK, (await call).StatusCode);
            Assert.Equal(token, harness.ApiRequests.Single().BearerToken);
        }
        else
        {
            await Assert.ThrowsAsync<OfflineBearerException>(() => call);
        }
    }

    /// <summary>
    /// Without a Content-Length to refuse it up front, a body one byte over the limit is refused even when its first
    /// <see cref="TokenServerConnection.MaxBodyBytes"/> bytes are a complete answer.
    /// </summary>
    [Fact]
    public async Task A_body_one_byte_over_the_limit_is_refused_even_if_the_limit_ends_a_valid_answer()
    {
        using var harness = new Harness();
        var token = harness.IssueJwt(TimeSpan.FromMinutes(5));
        var head = "{\"token_type\":\"Bearer\",\"access_token\":\"" + token + "\",\"padding\":\"";
        var body = Encoding.UTF8.GetBytes(head + new string('p', TokenServerConnection.MaxBodyBytes - head.Length - 2) + "\"} ");
        Assert.Equal(TokenServerConnection.MaxBodyBytes + 1, body.Length);
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StreamContent(new UnseekableStream(body)) { Headers = { ContentType = new("application/json") } },
        });
        using var client = harness.CreateClient();

        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
        Assert.Empty(harness.ApiRequests);
    }

    [Fact]
    public async Task An_oversized_body_is_refused()
    {
        using var harness = new Harness();
        var huge = "{\"access_token\":\"" + new string('a', 300 * 1024) + "\"}";
        harness.OnToken = _ => Task.FromResult(Harness.Json(huge));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal(HttpStatusCode.OK, error.StatusCode);
        Assert.True(error.Message.Length < 500);
    }

    [Fact]
    public async Task An_oauth_error_carries_code_description_and_status()
    {
        using var harness = new Harness();
        harness.OnToken = _ => Task.FromResult(Harness.Json(
            TokenJson.Error("not_allowed", "Offline tokens not allowed for the user or client"), HttpStatusCode.BadRequest));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal("not_allowed", error.Error);
        Assert.Equal("Offline tokens not allowed for the user or client", error.ErrorDescription);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Contains("offline_access", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_echoes_the_refresh_token_does_not_leak_it()
    {
        const string refreshToken = "echoed-offline-token";
        using var harness = new Harness(o => o.RefreshToken = refreshToken);
        harness.OnToken = _ => Task.FromResult(Harness.Json(
            TokenJson.Error("invalid_request", $"bad token {refreshToken} and {Harness.ClientSecret}"), HttpStatusCode.BadRequest));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal("bad token [redacted] and [redacted]", error.ErrorDescription);
        Assert.DoesNotContain(refreshToken, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_network_failure_is_wrapped_with_the_original_as_inner_exception()
    {
        using var harness = new Harness();
        harness.TokenNetwork.Fault = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused");
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.IsType<HttpRequestException>(error.InnerException);
        Assert.Contains("could not reach", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Basic_authentication_form_url_encodes_id_and_secret_before_base64()
    {
        using var harness = new Harness(o => o.ClientAuthentication = ClientAuthenticationMethod.ClientSecretBasic);
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();

        var request = Assert.Single(harness.TokenRequests);
        Assert.Equal("Basic", request.Authorization?.Scheme);
        var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(request.Authorization!.Parameter!));
        Assert.Equal("inventory-sync:s3cret%2Bwith%2Fodd+chars", decoded);
        Assert.False(request.Form.ContainsKey("client_secret"));
        Assert.False(request.Form.ContainsKey("client_id"));
    }

    [Fact]
    public async Task Post_authentication_puts_id_and_secret_in_the_form_body()
    {
        using var harness = new Harness(o => o.ClientAuthentication = ClientAuthenticationMethod.ClientSecretPost);
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();

        var request = Assert.Single(harness.TokenRequests);
        Assert.Null(request.Authorization);
        Assert.Equal(Harness.ClientId, request.Form["client_id"]);
        Assert.Equal(Harness.ClientSecret, request.Form["client_secret"]);
    }

    [Fact]
    public async Task The_token_endpoint_is_discovered_once_from_the_authority()
    {
        var discovered = new Uri("https://sso.test/realms/prod/protocol/openid-connect/token");
        using var harness = new Harness(o =>
        {
            o.TokenEndpoint = null;
            o.Authority = "https://sso.test/realms/prod/";
        });
        var discoveries = 0;
        harness.OnToken = request =>
        {
            if (request.Method == HttpMethod.Get)
            {
                discoveries++;
                Assert.Equal("https://sso.test/realms/prod/.well-known/openid-configuration", request.Uri.ToString());
                return Task.FromResult(Harness.Json($$"""{"issuer":"https://sso.test/realms/prod","token_endpoint":"{{discovered}}"}"""));
            }

            Assert.Equal(discovered, request.Uri);
            return Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)))));
        };
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        (await client.GetAsync("items")).Dispose();

        Assert.Equal(1, discoveries);
        Assert.Equal(3, harness.TokenRequests.Count);
    }

    [Theory]
    [InlineData("""{"issuer":"x"}""", "\"token_endpoint\". Check Authority")]
    [InlineData("""{"token_endpoint":"http://sso.test/token"}""", "names a plain http token endpoint")]
    [InlineData("<html>login</html>", "\"token_endpoint\". Check Authority")]
    [InlineData("""{"token_endpoint":"https://sso.test/token\ud800"}""", "\"token_endpoint\". Check Authority")]
    public async Task A_discovery_document_without_a_usable_token_endpoint_is_a_clear_error(string document, string phrase)
    {
        using var harness = new Harness(o =>
        {
            o.TokenEndpoint = null;
            o.Authority = "https://sso.test/realms/prod";
        });
        harness.OnToken = _ => Task.FromResult(Harness.Json(document));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Contains(Harness.ClientName, error.Message, StringComparison.Ordinal);
        Assert.Contains(phrase, error.Message, StringComparison.Ordinal);
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task A_token_request_asks_for_json()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();

        Assert.Equal("application/json", harness.TokenRequests.Single().Headers["Accept"]);
    }

    [Theory]
    [InlineData("invalid_client", "check ClientId, ClientSecret and ClientAuthentication")]
    [InlineData("unauthorized_client", "check ClientId, ClientSecret and ClientAuthentication")]
    [InlineData("invalid_scope", "The server refused the requested Scope.")]
    [InlineData("not_allowed", "the offline_access role is missing")]
    [InlineData("temporarily_unavailable", "See ErrorDescription for the server's reason.")]
    public async Task An_oauth_error_message_says_what_to_do(string error, string advice)
    {
        using var harness = new Harness();
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error(error, "no"), HttpStatusCode.BadRequest));
        using var client = harness.CreateClient();

        var failure = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Contains(advice, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_without_a_content_type_is_named_so_and_points_at_the_configuration()
    {
        using var harness = new Harness();
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]) });
        using var client = harness.CreateClient();

        var failure = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Contains("(no content type)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("A proxy or gateway page usually means the TokenEndpoint or Authority points at the wrong place.", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(300)]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(303)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task A_redirect_from_the_token_endpoint_is_an_error_naming_the_status_and_host(int status)
    {
        using var harness = new Harness();
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage((HttpStatusCode)status)
        {
            Headers = { Location = new Uri("https://elsewhere.test:8443/token?planted=query") },
        });
        using var client = harness.CreateClient();

        var failure = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal((HttpStatusCode)status, failure.StatusCode);
        Assert.Equal(
            $"The token server answered the client_credentials request of OfflineBearer client 'inventory' with HTTP {status}, a redirect to " +
            "elsewhere.test:8443. Credentials never follow a redirect: set Authority or TokenEndpoint to the final address.",
            failure.Message);
        Assert.Single(harness.TokenRequests);
    }

    [Theory]
    [InlineData(299, true)]
    [InlineData(400, false)]
    public async Task Answers_around_the_redirect_range_are_not_redirects(int status, bool success)
    {
        using var harness = new Harness();
        var token = harness.IssueJwt(TimeSpan.FromMinutes(5));
        harness.OnToken = _ => Task.FromResult(Harness.Json(success ? TokenJson.Success(token) : TokenJson.Error("invalid_request", "no"), (HttpStatusCode)status));
        using var client = harness.CreateClient();

        var call = client.GetAsync("items");

        if (success)
        {
            Assert.Equal(HttpStatusCode.OK, (await call).StatusCode);
        }
        else
        {
            Assert.DoesNotContain("redirect", (await Assert.ThrowsAsync<OfflineBearerException>(() => call)).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_redirect_without_a_location_says_so()
    {
        using var harness = new Harness();
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.Found));
        using var client = harness.CreateClient();

        var failure = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Contains("a redirect to nowhere it named.", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_public_client_id_in_an_error_description_is_not_redacted()
    {
        using var harness = new Harness(o =>
        {
            o.ClientSecret = null;
            o.RefreshToken = "offline-token-of-the-test";
        });
        harness.OnToken = _ => Task.FromResult(Harness.Json(
            TokenJson.Error("invalid_grant", $"client {Harness.ClientId}: token expired"), HttpStatusCode.BadRequest));
        using var client = harness.CreateClient();

        var failure = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal($"client {Harness.ClientId}: token expired", failure.ErrorDescription);
    }

    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
