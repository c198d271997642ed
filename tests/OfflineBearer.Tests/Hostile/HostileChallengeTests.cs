using System.Net;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.Hostile;

/// <summary>
/// Issue #4, section 3: an API that answers 401 with a malformed or multi-challenge <c>WWW-Authenticate</c>. Whatever
/// the header says, the caller gets the API's answer and no exception, the request is resent at most once, and at
/// most one new token is fetched for it.
/// </summary>
public sealed class HostileChallengeTests
{
    private static readonly TimeSpan Watchdog = TimeSpan.FromSeconds(10);

    /// <summary>(why, the WWW-Authenticate header lines of every 401).</summary>
    public static TheoryData<string, string[]> Challenges => new()
    {
        { "empty", [""] },
        { "only whitespace", ["   "] },
        { "only commas", [",,,"] },
        { "a lone equals sign", ["="] },
        { "a lone quote", ["\""] },
        { "unterminated quote", ["Bearer error=\"invalid_token"] },
        { "unterminated quote before the error", ["Bearer realm=\"api, error=\"invalid_token\""] },
        { "an escaped quote inside the error", ["Bearer error=\"invalid\\\"_token\""] },
        { "error without a value", ["Bearer error="] },
        { "error with spaces around the equals sign", ["Bearer error = \"invalid_token\""] },
        { "error twice, insufficient_scope first", ["Bearer error=\"insufficient_scope\", error=\"invalid_token\""] },
        { "a token68 instead of parameters", ["Bearer aW52YWxpZF90b2tlbg=="] },
        { "a scheme followed by a comma", ["Bearer,"] },
        { "a quoted scheme", ["\"Bearer\" error=\"invalid_token\""] },
        { "punctuation as a scheme", ["@@@ error=invalid_token"] },
        { "control characters in a value", ["Bearer error=\"\u0001\u0007\u001b\""] },
        { "a non-ASCII realm", ["Bearer realm=\"ünïcødé ✓\", error=\"invalid_token\""] },
        { "a 100 KB realm", [$"Bearer realm=\"{new string('r', 100_000)}\", error=\"invalid_token\""] },
        { "100 KB of commas", [new string(',', 100_000)] },
        { "10,000 parameters", ["Bearer " + string.Join(", ", Enumerable.Range(0, 10_000).Select(i => $"p{i}=\"v\""))] },
        { "10,000 Bearer challenges", [string.Join(", ", Enumerable.Repeat("Bearer error=\"invalid_token\"", 10_000))] },
        { "several Bearer challenges, insufficient_scope first", ["Bearer error=\"insufficient_scope\", Bearer error=\"invalid_token\""] },
        { "several Bearer challenges, invalid_token first", ["Bearer error=\"invalid_token\", Bearer error=\"insufficient_scope\""] },
        { "lowercase bearer", ["bearer error=\"invalid_token\""] },
        { "an unquoted error", ["Bearer error=invalid_token"] },
        { "DPoP and Bearer", ["DPoP algs=\"ES256\", error=\"invalid_token\", Bearer error=\"invalid_token\""] },
        { "Bearer and DPoP", ["Bearer realm=\"api\", DPoP algs=\"ES256 PS256\""] },
        { "DPoP only", ["DPoP error=\"invalid_token\", algs=\"ES256\""] },
        { "Basic only, with a realm that reads like a Bearer challenge", ["Basic realm=\"Bearer error=invalid_token\""] },
        { "the header twice, insufficient_scope first", ["Bearer error=\"insufficient_scope\"", "Bearer error=\"invalid_token\""] },
        { "the header twice, one of them malformed", ["Bearer error=\"", "Bearer"] },
        { "the header twice, both empty", ["", ""] },
    };

    /// <summary>(why, the WWW-Authenticate header lines, whether a new token can help) for headers odd in form but clear in meaning.</summary>
    public static TheoryData<string, string[], bool> ClearInMeaning => new()
    {
        { "lowercase bearer", ["bearer error=\"invalid_token\""], true },
        { "an unquoted error", ["Bearer error=invalid_token"], true },
        { "an unquoted error after a quoted realm with a comma", ["Bearer realm=\"a, b\", error=invalid_token"], true },
        { "Bearer and DPoP", ["Bearer realm=\"api\", DPoP algs=\"ES256 PS256\""], true },
        { "Basic, then Bearer on a second header line", ["Basic realm=\"api\"", "Bearer error=\"invalid_token\""], true },
        { "DPoP only, even with invalid_token", ["DPoP error=\"invalid_token\", algs=\"ES256\""], false },
        { "Basic only, with a realm that reads like a Bearer challenge", ["Basic realm=\"Bearer error=invalid_token\""], false },
        { "insufficient_scope with an unquoted value", ["Bearer error=insufficient_scope, scope=admin"], false },
    };

    [Theory]
    [MemberData(nameof(Challenges))]
    public async Task Whatever_the_challenge_says_the_401_comes_back_after_at_most_one_resend(string why, string[] lines)
    {
        using var harness = new Harness();
        harness.OnApi = _ => Task.FromResult(Unauthorized(lines));
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("items").WaitAsync(Watchdog);

        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{why}: {response.StatusCode}");
        Assert.True(harness.ApiRequests.Count <= 2, $"{why}: {harness.ApiRequests.Count} API requests");
        Assert.True(harness.TokenRequests.Count <= 2, $"{why}: {harness.TokenRequests.Count} token requests");
        Assert.True(harness.TokenRequests.Count == harness.ApiRequests.Count, $"{why}: a resend without a new token, or a new token without a resend");
    }

    [Theory]
    [MemberData(nameof(ClearInMeaning))]
    public async Task An_odd_but_clear_challenge_is_understood(string why, string[] lines, bool resends)
    {
        using var harness = new Harness();
        harness.OnApi = _ => Task.FromResult(harness.ApiRequests.Count == 1 ? Unauthorized(lines) : new HttpResponseMessage(HttpStatusCode.OK));
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("items").WaitAsync(Watchdog);

        var expected = resends ? HttpStatusCode.OK : HttpStatusCode.Unauthorized;
        Assert.True(response.StatusCode == expected, $"{why}: expected {expected}, got {response.StatusCode}");
        Assert.Equal(resends ? 2 : 1, harness.ApiRequests.Count);
    }

    private static HttpResponseMessage Unauthorized(string[] lines)
    {
        var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        foreach (var line in lines)
        {
            response.Headers.TryAddWithoutValidation("WWW-Authenticate", line);
        }

        return response;
    }
}
