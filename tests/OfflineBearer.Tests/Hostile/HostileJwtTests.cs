using System.Net;
using System.Text;
using OfflineBearer.Tests.Support;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tests.Hostile;

/// <summary>
/// Issue #4, section 3: access tokens whose JWT is hostile. The client never validates a JWT, it only reads its expiry,
/// so a hostile one still works as an opaque token and its lifetime falls back to <c>expires_in</c> (300 seconds
/// here, so 299 with the margin). Two segments, bad base64url, a non-JSON payload and a few more are read directly
/// in TokenLifetimeTests.
/// </summary>
public sealed class HostileJwtTests
{
    /// <summary>The harness's clock at start; the JWTs below are issued then.</summary>
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static readonly long Iat = Now.ToUnixTimeSeconds();

    private static readonly TimeSpan Watchdog = TimeSpan.FromSeconds(10);

    private const long FromExpiresIn = 299;

    private const long FromJwt = 599;

    private static readonly string RsHeader = Jwt.Encode("""{"alg":"RS256","typ":"JWT"}""");

    /// <summary>(why, access token, lifetime in seconds) with <c>expires_in</c> 300 beside the token.</summary>
    public static TheoryData<string, string, long> Tokens => new()
    {
        { "alg none with an empty signature (read: the client never checks signatures)", Jwt.Encode("""{"alg":"none"}""") + "." + Payload($$"""{"iat":{{Iat}},"exp":{{Iat + 600}}}""") + ".", FromJwt },
        { "five segments (JWE-shaped)", Jwt.Encode("""{"alg":"RSA-OAEP","enc":"A256GCM"}""") + ".a2V5.aXY.Y2lwaGVy.dGFn", FromExpiresIn },
        { "five segments with a plain JWS header", RsHeader + "." + Payload($$"""{"exp":{{Iat + 600}}}""") + ".a.b.c", FromExpiresIn },
        { "a 100 KB payload of 5,000 claims, exp last", RsHeader + "." + Payload(ManyClaims(5_000, $"\"iat\":{Iat},\"exp\":{Iat + 600}")) + ".sig", FromJwt },
        { "a 100 KB payload without exp", RsHeader + "." + Payload(ManyClaims(5_000, "\"sub\":\"svc\"")) + ".sig", FromExpiresIn },
        { "non-ASCII claim names and values", RsHeader + "." + Payload($$"""{"süb":"ünïcødé ✓ 🔑","名前":"値","iat":{{Iat}},"exp":{{Iat + 600}}}""") + ".sig", FromJwt },
        { "invalid UTF-8 in the payload", RsHeader + "." + Jwt.Encode([.. "{\"sub\":\""u8, 0xC3, 0x28, .. Encoding.UTF8.GetBytes($"\",\"iat\":{Iat},\"exp\":{Iat + 600}}}")]) + ".sig", FromExpiresIn },
        { "a lone surrogate escape in the payload", RsHeader + "." + Payload($$"""{"sub":"\ud800","iat":{{Iat}},"exp":{{Iat + 600}}}""") + ".sig", FromExpiresIn },
        { "exp a word", RsHeader + "." + Payload($$"""{"iat":{{Iat}},"exp":"soon"}""") + ".sig", FromExpiresIn },
        { "exp a numeric string (read as a number, as the JWT library does)", RsHeader + "." + Payload($$"""{"iat":{{Iat}},"exp":"{{Iat + 600}}"}""") + ".sig", FromJwt },
        { "exp negative", RsHeader + "." + Payload($$"""{"iat":{{Iat}},"exp":-1}""") + ".sig", FromExpiresIn },
        { "exp negative without iat", RsHeader + "." + Payload("""{"exp":-600}""") + ".sig", FromExpiresIn },
        { "exp huge but finite (clamped)", RsHeader + "." + Payload("""{"exp":99999999999}""") + ".sig", (long)TokenLifetime.Longest.TotalSeconds },
        { "exp beyond any date", RsHeader + "." + Payload($$"""{"iat":{{Iat}},"exp":1e20}""") + ".sig", FromExpiresIn },
        { "exp beyond a double", RsHeader + "." + Payload($$"""{"iat":{{Iat}},"exp":1e400}""") + ".sig", FromExpiresIn },
        { "exp true", RsHeader + "." + Payload($$"""{"iat":{{Iat}},"exp":true}""") + ".sig", FromExpiresIn },
        { "exp null", RsHeader + "." + Payload($$"""{"iat":{{Iat}},"exp":null}""") + ".sig", FromExpiresIn },
        { "exp an object", RsHeader + "." + Payload($$$"""{"iat":{{{Iat}}},"exp":{"$date":{{{Iat + 600}}}}}""") + ".sig", FromExpiresIn },
        { "iat after exp", RsHeader + "." + Payload($$"""{"iat":{{Iat + 600}},"exp":{{Iat}}}""") + ".sig", FromExpiresIn },
        { "header not JSON", Jwt.Encode("not json") + "." + Payload($$"""{"iat":{{Iat}},"exp":{{Iat + 600}}}""") + ".sig", FromExpiresIn },
        { "header a JSON array", Jwt.Encode("[]") + "." + Payload($$"""{"iat":{{Iat}},"exp":{{Iat + 600}}}""") + ".sig", FromExpiresIn },
        { "payload a JSON array", RsHeader + "." + Payload($"[{{\"iat\":{Iat},\"exp\":{Iat + 600}}}]") + ".sig", FromExpiresIn },
        { "payload 10,000 nested arrays", RsHeader + "." + Payload(new string('[', 10_000)) + ".sig", FromExpiresIn },
    };

    /// <summary>(why, access token, expires_in, expected lifetime in seconds or null) for cases TokenLifetimeTests does not cover.</summary>
    public static TheoryData<string, string, long?, long?> Direct => new()
    {
        { "alg none, exp without iat, read against the clock", Jwt.Encode("""{"alg":"none"}""") + "." + Payload($$"""{"exp":{{Iat + 120}}}""") + ".", null, 119 },
        { "exp minus iat of one second is all margin", RsHeader + "." + Payload($$"""{"iat":{{Iat}},"exp":{{Iat + 1}}}""") + ".sig", null, null },
        { "exp minus iat of two seconds", RsHeader + "." + Payload($$"""{"iat":{{Iat}},"exp":{{Iat + 2}}}""") + ".sig", null, 1 },
        { "exp minus iat of one second falls back to expires_in", RsHeader + "." + Payload($$"""{"iat":{{Iat}},"exp":{{Iat + 1}}}""") + ".sig", 300, 299 },
        { "exp at the edge of the readable range, against the clock", RsHeader + "." + Payload("""{"exp":99999999999}""") + ".sig", 300, (long)TokenLifetime.Longest.TotalSeconds },
        { "exp and iat both negative", RsHeader + "." + Payload("""{"iat":-1000,"exp":-400}""") + ".sig", null, 599 },
        { "exp and iat at the far ends of the readable range", RsHeader + "." + Payload("""{"iat":-99999999999,"exp":99999999999}""") + ".sig", null, (long)TokenLifetime.Longest.TotalSeconds },
        { "iat a word makes the JWT unreadable, so expires_in decides", RsHeader + "." + Payload($$"""{"iat":"yesterday","exp":{{Iat + 60}}}""") + ".sig", 300, 299 },
        { "exp an array", RsHeader + "." + Payload($$"""{"exp":[{{Iat + 600}}]}""") + ".sig", 300, 299 },
        { "exp a numeric string (read as a number, as the JWT library does)", RsHeader + "." + Payload($$"""{"iat":{{Iat}},"exp":"{{Iat + 600}}"}""") + ".sig", 300, 599 },
        { "payload a JSON string", RsHeader + "." + Payload("\"exp\"") + ".sig", 300, 299 },
        { "header and payload empty objects", Jwt.Encode("{}") + "." + Payload("{}") + ".sig", 300, 299 },
        { "base64 with padding and standard alphabet", RsHeader + "." + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{{\"exp\":{Iat + 600}}}?>")) + ".sig", 300, 299 },
        { "10,000 dots", new string('.', 10_000), 300, 299 },
        { "100 KB of one segment", new string('A', 100_000), 300, 299 },
        { "whitespace around a valid JWT", " " + RsHeader + "." + Payload($$"""{"iat":{{Iat}},"exp":{{Iat + 600}}}""") + ".sig ", 300, 299 },
        { "expires_in negative", "opaque", -300, null },
        { "expires_in the smallest long", "opaque", long.MinValue, null },
        { "expires_in one second, all margin", "opaque", 1, null },
        { "expires_in two seconds", "opaque", 2, 1 },
    };

    [Theory]
    [MemberData(nameof(Tokens))]
    public async Task A_hostile_jwt_works_as_an_opaque_token_and_its_lifetime_falls_back_to_expires_in(string why, string token, long lifetimeSeconds)
    {
        using var harness = new Harness();
        Assert.Equal(Now, harness.Time.GetUtcNow());
        harness.Secret(token);
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(token, expiresIn: 300)));
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("items").WaitAsync(Watchdog);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{why}: {response.StatusCode}");
        Assert.True(harness.ApiRequests.Single().BearerToken == token, $"{why}: the API got another token");

        var early = TimeSpan.FromSeconds(Math.Floor(lifetimeSeconds * 0.69));
        harness.Time.Advance(early);
        (await client.GetAsync("items").WaitAsync(Watchdog)).Dispose();

        Assert.True(harness.TokenRequests.Count == 1, $"{why}: refreshed before 0.69 of {lifetimeSeconds} s");

        harness.Time.Advance(TimeSpan.FromSeconds(lifetimeSeconds) - early);
        (await client.GetAsync("items").WaitAsync(Watchdog)).Dispose();

        Assert.True(harness.TokenRequests.Count == 2, $"{why}: still in use after {lifetimeSeconds} s");
    }

    [Theory]
    [MemberData(nameof(Direct))]
    public void Reading_the_lifetime_of_a_hostile_token_never_throws(string why, string token, long? expiresIn, long? expectedSeconds)
    {
        var lifetime = TokenLifetime.Read(token, expiresIn, Now);

        var expected = expectedSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        Assert.True(lifetime == expected, $"{why}: expected {expected?.ToString() ?? "unknown"}, got {lifetime?.ToString() ?? "unknown"}");
    }

    private static string Payload(string json) => Jwt.Encode(json);

    /// <summary>A payload object of <paramref name="count"/> padding claims followed by <paramref name="last"/> members.</summary>
    private static string ManyClaims(int count, string last) =>
        "{" + string.Concat(Enumerable.Range(0, count).Select(i => $"\"claim{i:D5}\":\"{new string('v', 4)}\",")) + last + "}";
}
