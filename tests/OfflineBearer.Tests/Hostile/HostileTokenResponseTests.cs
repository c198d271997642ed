using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using OfflineBearer.Tests.Support;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tests.Hostile;

/// <summary>
/// Issue #4, section 3: token endpoint answers built to hurt, driven through the real handler pipeline. Each is one
/// data row. An answer is either refused with <see cref="OfflineBearerException"/> or, where a client could sensibly
/// use it, gives a working call. The HTML 502 page, the oversized body and the slow body live in
/// TokenEndpointClientTests and TokenEndpointResilienceTests.
/// </summary>
public sealed class HostileTokenResponseTests
{
    /// <summary>Sits wherever a token would in a hostile body; no message or log line may repeat it.</summary>
    private const string Planted = "planted-token-7Hq2xZ";

    private const string Json = "application/json";

    /// <summary>Real time, only so that a hang fails the test instead of the run; every wait is on the fake clock.</summary>
    private static readonly TimeSpan Watchdog = TimeSpan.FromSeconds(10);

    /// <summary>What the lifetime check expects for a token whose lifetime is unknown (used until the API answers 401).</summary>
    private const long Unknown = -1;

    /// <summary>(why, status, content type, body, a phrase the message must carry).</summary>
    public static TheoryData<string, int, string?, byte[], string> Refused => new()
    {
        { "empty body, 200 application/json", 200, Json, [], "no usable body" },
        { "empty body without a content type", 200, null, [], "no usable body" },
        { "204 No Content", 204, null, [], "no usable body" },
        { "a JSON array holding a token response", 200, Json, Utf8($$"""[{"access_token":"{{Planted}}","token_type":"Bearer"}]"""), "JSON array" },
        { "a JSON string", 200, Json, Utf8($"\"{Planted}\""), "JSON string" },
        { "JSON null", 200, Json, Utf8("null"), "JSON null" },
        { "a JSON number", 200, Json, Utf8("300"), "JSON number" },
        { "10,000 nested arrays", 200, Json, Utf8(new string('[', 10_000)), "not valid JSON" },
        { "10,000 nested objects", 200, Json, Utf8(string.Concat(Enumerable.Repeat("{\"a\":", 10_000))), "not valid JSON" },
        { "a token response with an extension nested past the depth limit", 200, Json, Utf8($$"""{"access_token":"{{Planted}}","x":{{new string('[', 20)}}{{new string(']', 20)}}}"""), "not valid JSON" },
        { "access_token missing", 200, Json, Utf8("""{"token_type":"Bearer","expires_in":300}"""), "\"access_token\" is missing" },
        { "access_token empty", 200, Json, Utf8("""{"access_token":"","token_type":"Bearer"}"""), "\"access_token\" is missing" },
        { "access_token a number", 200, Json, Utf8("""{"access_token":12345,"token_type":"Bearer"}"""), "\"access_token\" is missing" },
        { "access_token an object", 200, Json, Utf8($$"""{"access_token":{"value":"{{Planted}}"},"token_type":"Bearer"}"""), "\"access_token\" is missing" },
        { "access_token an array", 200, Json, Utf8($$"""{"access_token":["{{Planted}}"],"token_type":"Bearer"}"""), "\"access_token\" is missing" },
        { "access_token null", 200, Json, Utf8("""{"access_token":null,"token_type":"Bearer"}"""), "\"access_token\" is missing" },
        { "access_token true", 200, Json, Utf8("""{"access_token":true,"token_type":"Bearer"}"""), "\"access_token\" is missing" },
        { "token_type mac", 200, Json, Utf8(Success("\"mac\"")), "\"token_type\" is \"mac\"" },
        { "token_type DPoP", 200, Json, Utf8(Success("\"DPoP\"")), "\"token_type\" is \"DPoP\"" },
        { "token_type N_A (RFC 8693)", 200, Json, Utf8(Success("\"N_A\"")), "\"token_type\" is \"N_A\"" },
        { "token_type 200 characters long", 200, Json, Utf8(Success($"\"{new string('x', 200)}\"")), $"\"token_type\" is \"{new string('x', 40)}…\"" },
        { "an error code that is an object, 400", 400, Json, Utf8($$"""{"error":{"code":"invalid_grant"},"error_description":"{{Planted}}"}"""), "no \"error\" code" },
        { "an error code that is a number, 400", 400, Json, Utf8("""{"error":400}"""), "no \"error\" code" },
        { "a token with status 400 and no error code", 400, Json, Utf8($$"""{"access_token":"{{Planted}}","token_type":"Bearer"}"""), "no \"error\" code" },
        { "200 with an error code beside a token", 200, Json, Utf8($$"""{"error":"invalid_request","access_token":"{{Planted}}","token_type":"Bearer"}"""), "'invalid_request'" },
        { "invalid UTF-8 before the first value", 200, Json, [0xFF, 0xFE, .. Utf8(Success("\"Bearer\""))], "not valid JSON" },
        // JsonElement.GetString throws InvalidOperationException on these today; the fix chooses the wording, so the rows
        // ask only for the status in the message.
        { "invalid UTF-8 inside the access token", 200, Json, [.. Utf8($"{{\"access_token\":\"{Planted}"), 0xC3, 0x28, 0xFF, .. Utf8("\",\"token_type\":\"Bearer\"}")], "HTTP 200" },
        { "an overlong UTF-8 encoding inside the access token", 200, Json, [.. Utf8($"{{\"access_token\":\"{Planted}"), 0xC0, 0xAF, .. Utf8("\",\"token_type\":\"Bearer\"}")], "HTTP 200" },
        { "a lone surrogate escape inside the access token", 200, Json, Utf8($$"""{"access_token":"{{Planted}}\ud800","token_type":"Bearer"}"""), "HTTP 200" },
        { "a lone surrogate escape inside token_type", 200, Json, Utf8($$"""{"access_token":"{{Planted}}","token_type":"Bearer\udc00"}"""), "HTTP 200" },
        { "UTF-16 with a charset that says so", 200, "application/json; charset=utf-16", Encoding.Unicode.GetBytes(Success("\"Bearer\"")), "not valid JSON" },
        { "a UTF-8 byte order mark", 200, Json, [0xEF, 0xBB, 0xBF, .. Utf8(Success("\"Bearer\""))], "not valid JSON" },
        { "a NUL byte after the object", 200, Json, [.. Utf8(Success("\"Bearer\"")), 0x00], "not valid JSON" },
        { "two objects in a row", 200, Json, Utf8(Success("\"Bearer\"") + Success("\"Bearer\"")), "not valid JSON" },
        { "a trailing comma", 200, Json, Utf8($$"""{"access_token":"{{Planted}}",}"""), "not valid JSON" },
        { "a comment", 200, Json, Utf8($$"""{"access_token":"{{Planted}}" /* hi */}"""), "not valid JSON" },
        { "single quotes", 200, Json, Utf8($"{{'access_token':'{Planted}'}}"), "not valid JSON" },
        { "HTML labelled as JSON", 200, Json, Utf8($"<html><body>{Planted}</body></html>"), "not valid JSON" },
        { "a form-encoded body (old GitHub style)", 200, "application/x-www-form-urlencoded", Utf8($"access_token={Planted}&token_type=bearer"), "the body is not JSON" },
        { "JSON labelled as text/plain", 200, "text/plain", Utf8(Success("\"Bearer\"")), "the body is not JSON" },

        // A token no HTTP stack can send. CR, LF and NUL make AuthenticationHeaderValue throw FormatException while the
        // token is cached; a non-ASCII token is cached and then every API call fails in SocketsHttpHandler with
        // HttpRequestException ("Request headers must contain only ASCII characters"), which MockHttp cannot show, so
        // these rows ask the library to refuse such a token response itself.
        { "an access token with CR LF (header injection)", 200, Json, Utf8($$"""{"access_token":"{{Planted}}\r\nX-Injected: 1","token_type":"Bearer"}"""), "HTTP 200" },
        { "an access token with a NUL", 200, Json, Utf8($$"""{"access_token":"{{Planted}}\u0000","token_type":"Bearer"}"""), "HTTP 200" },
        { "an access token that is not ASCII", 200, Json, Utf8($$"""{"access_token":"{{Planted}}-tökén","token_type":"Bearer"}"""), "HTTP 200" },
    };

    /// <summary>(why, status, content type, body, the token the API must receive, lifetime in seconds or <see cref="Unknown"/>).</summary>
    public static TheoryData<string, int, string?, byte[], string, long> Usable => new()
    {
        { "token_type lowercase bearer", 200, Json, Utf8(Success("\"bearer\"")), Planted, 299 },
        { "token_type BEARER", 200, Json, Utf8(Success("\"BEARER\"")), Planted, 299 },
        { "token_type missing", 200, Json, Utf8($$"""{"access_token":"{{Planted}}","expires_in":300}"""), Planted, 299 },
        { "token_type not a string", 200, Json, Utf8(Success("7")), Planted, 299 },
        { "expires_in a numeric string", 200, Json, Utf8(Success("\"Bearer\"", "\"300\"")), Planted, 299 },
        { "expires_in the largest long", 200, Json, Utf8(Success("\"Bearer\"", long.MaxValue.ToString(CultureInfo.InvariantCulture))), Planted, (long)TokenLifetime.Longest.TotalSeconds },
        { "expires_in a hundred years", 200, Json, Utf8(Success("\"Bearer\"", "3155760000")), Planted, (long)TokenLifetime.Longest.TotalSeconds },
        { "expires_in beyond a long", 200, Json, Utf8(Success("\"Bearer\"", "99999999999999999999")), Planted, Unknown },
        { "expires_in 1e400", 200, Json, Utf8(Success("\"Bearer\"", "1e400")), Planted, Unknown },
        { "expires_in negative", 200, Json, Utf8(Success("\"Bearer\"", "-300")), Planted, Unknown },
        { "expires_in zero", 200, Json, Utf8(Success("\"Bearer\"", "0")), Planted, Unknown },
        { "expires_in one second, all margin", 200, Json, Utf8(Success("\"Bearer\"", "1")), Planted, Unknown },
        { "expires_in fractional", 200, Json, Utf8(Success("\"Bearer\"", "300.5")), Planted, Unknown },
        { "expires_in a word", 200, Json, Utf8(Success("\"Bearer\"", "\"soon\"")), Planted, Unknown },
        { "expires_in a signed numeric string", 200, Json, Utf8(Success("\"Bearer\"", "\"+300\"")), Planted, Unknown },
        { "expires_in a negative numeric string", 200, Json, Utf8(Success("\"Bearer\"", "\"-300\"")), Planted, Unknown },
        { "expires_in null", 200, Json, Utf8(Success("\"Bearer\"", "null")), Planted, Unknown },
        { "expires_in an object", 200, Json, Utf8(Success("\"Bearer\"", "{\"seconds\":300}")), Planted, Unknown },
        { "status 201", 201, Json, Utf8(Success("\"Bearer\"")), Planted, 299 },
        { "no content type", 200, null, Utf8(Success("\"Bearer\"")), Planted, 299 },
        { "a vendor JSON content type", 200, "application/vnd.api+json; charset=utf-8", Utf8(Success("\"Bearer\"")), Planted, 299 },
        { "an escaped access token", 200, Json, Utf8("""{"access_token":"planted\u002Dtoken\u002D7Hq2xZ","token_type":"Bearer","expires_in":300}"""), Planted, 299 },
        { "duplicate access_token keys (the last one counts)", 200, Json, Utf8($$"""{"access_token":"first-{{Planted}}","access_token":"{{Planted}}","token_type":"Bearer","expires_in":300}"""), Planted, 299 },
        { "refresh_token, scope and error of the wrong types", 200, Json, Utf8($$"""{"access_token":"{{Planted}}","token_type":"Bearer","expires_in":300,"refresh_token":42,"scope":["a"],"error":null}"""), Planted, 299 },
        { "an error code that is not a string beside a token", 200, Json, Utf8($$"""{"access_token":"{{Planted}}","token_type":"Bearer","expires_in":300,"error":false}"""), Planted, 299 },
        { "fifty unknown members of every type", 200, Json, Utf8(WithNoise(Success("\"Bearer\""))), Planted, 299 },
        { "a 100 KB JWT, whose exp wins over expires_in", 200, Json, Utf8(Success("\"Bearer\"", accessToken: HugeJwt)), HugeJwt, 599 },
    };

    /// <summary>(why, discovery document) answered 200 application/json; discovery with an unusable document is the typed error.</summary>
    public static TheoryData<string, byte[]> HostileDiscovery => new()
    {
        { "a JSON array", Utf8("""[{"token_endpoint":"https://sso.test/token"}]""") },
        { "10,000 nested arrays", Utf8(new string('[', 10_000)) },
        { "token_endpoint a number", Utf8("""{"token_endpoint":443}""") },
        { "token_endpoint a relative path", Utf8("""{"token_endpoint":"/token"}""") },
        { "token_endpoint of another scheme", Utf8("""{"token_endpoint":"file:///etc/passwd"}""") },
        { "invalid UTF-8 inside token_endpoint", [.. Utf8("{\"token_endpoint\":\"https://sso.test/"), 0xC3, 0x28, .. Utf8("\"}")] },
        { "a lone surrogate escape inside token_endpoint", Utf8("""{"token_endpoint":"https://sso.test/\ud800"}""") },
    };

    /// <summary>A JWT of about 100 KB that lives 600 seconds by its own claims (exp - iat needs no clock).</summary>
    private static string HugeJwt { get; } = Jwt.Create(new { sub = "svc", iat = 1_700_000_000L, exp = 1_700_000_600L, pad = new string('p', 100_000) });

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_hostile_answer_gives_the_typed_error_that_names_the_client_never_the_token_and_is_not_asked_again_at_once(
        string why, int status, string? contentType, byte[] body, string phrase)
    {
        using var harness = new Harness();
        harness.Secret(Planted);
        harness.OnToken = _ => Task.FromResult(Answer(status, contentType, body));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items").WaitAsync(Watchdog));

        Assert.True(error.Message.Contains($"'{Harness.ClientName}'", StringComparison.Ordinal), $"{why}: {error.Message}");
        Assert.True(error.Message.Contains(phrase, StringComparison.Ordinal), $"{why}: expected '{phrase}' in: {error.Message}");
        Assert.False(error.ToString().Contains(Planted, StringComparison.Ordinal), $"{why}: the token leaked: {error}");
        Assert.Equal((HttpStatusCode)status, error.StatusCode);
        Assert.Empty(harness.ApiRequests);

        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items").WaitAsync(Watchdog));

        Assert.True(harness.TokenRequests.Count == 1, $"{why}: asked again at once instead of pausing");
    }

    [Theory]
    [MemberData(nameof(Usable))]
    public async Task An_odd_but_usable_answer_gives_a_working_call_with_the_lifetime_it_allows(
        string why, int status, string? contentType, byte[] body, string token, long lifetimeSeconds)
    {
        using var harness = new Harness();
        harness.Secret(Planted);
        harness.Secret(token);
        harness.OnToken = _ => Task.FromResult(Answer(status, contentType, body));
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("items").WaitAsync(Watchdog);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{why}: {response.StatusCode}");
        Assert.True(harness.ApiRequests.Single().BearerToken == token, $"{why}: the API got another token");
        await AssertLifetimeAsync(harness, client, lifetimeSeconds, why);
    }

    [Theory]
    [MemberData(nameof(HostileDiscovery))]
    public async Task A_hostile_discovery_document_gives_the_typed_error_that_names_the_client(string why, byte[] document)
    {
        using var harness = new Harness(o =>
        {
            o.TokenEndpoint = null;
            o.Authority = "https://sso.test/realms/prod";
        });
        harness.OnToken = _ => Task.FromResult(Answer(200, Json, document));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items").WaitAsync(Watchdog));

        Assert.True(error.Message.Contains($"'{Harness.ClientName}'", StringComparison.Ordinal), $"{why}: {error.Message}");
        Assert.Single(harness.TokenRequests);
        Assert.Empty(harness.ApiRequests);
    }

    /// <summary>
    /// A known lifetime L: the token serves alone until 0.69 L (a refresh starts at 0.70 L at the earliest) and is
    /// replaced at L. An unknown one: the token serves for 20 years and is replaced after a 401.
    /// </summary>
    private static async Task AssertLifetimeAsync(Harness harness, HttpClient client, long seconds, string why)
    {
        if (seconds == Unknown)
        {
            harness.Time.Advance(TimeSpan.FromDays(20 * 365));
            (await client.GetAsync("items").WaitAsync(Watchdog)).Dispose();

            Assert.True(harness.TokenRequests.Count == 1, $"{why}: refreshed although the lifetime is unknown");

            var answered = 0;
            harness.OnApi = _ => Task.FromResult(++answered == 1 ? Harness.Unauthorized() : new HttpResponseMessage(HttpStatusCode.OK));
            (await client.GetAsync("items").WaitAsync(Watchdog)).Dispose();

            Assert.True(harness.TokenRequests.Count == 2, $"{why}: a 401 did not replace the token");
            return;
        }

        var lifetime = TimeSpan.FromSeconds(seconds);
        var early = TimeSpan.FromSeconds(Math.Floor(seconds * 0.69));
        harness.Time.Advance(early);
        (await client.GetAsync("items").WaitAsync(Watchdog)).Dispose();

        Assert.True(harness.TokenRequests.Count == 1, $"{why}: refreshed before 0.69 of {lifetime}");

        harness.Time.Advance(lifetime - early);
        (await client.GetAsync("items").WaitAsync(Watchdog)).Dispose();

        Assert.True(harness.TokenRequests.Count == 2, $"{why}: still in use at {lifetime}");
    }

    private static HttpResponseMessage Answer(int status, string? contentType, byte[] body)
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return new HttpResponseMessage((HttpStatusCode)status) { Content = content };
    }

    /// <summary>A token response whose token_type and expires_in are raw JSON, so they can be of any type.</summary>
    private static string Success(string tokenTypeJson, string expiresInJson = "300", string accessToken = Planted) =>
        $$"""{"access_token":"{{accessToken}}","token_type":{{tokenTypeJson}},"expires_in":{{expiresInJson}}}""";

    private static string WithNoise(string json)
    {
        string[] values = ["null", "true", "-0", "1e308", "\"\\u00e9\\ud83d\\ude00\"", "[[],{}]", "{\"access_token\":1}", "\"\""];
        var noise = string.Concat(Enumerable.Range(0, 50).Select(i => $"\"x{i}\":{values[i % values.Length]},"));
        return "{" + noise + json[1..];
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
