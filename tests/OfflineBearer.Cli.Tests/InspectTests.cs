using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using OfflineBearer.Cli.Tests.Support;
using OfflineBearer.Stores;

namespace OfflineBearer.Cli.Tests;

[Collection(CliServer.Name)]
public sealed class InspectTests(CliServerFixture fixture) : IDisposable
{
    private const string Signature = "c2lnbmF0dXJlLW5ldmVyLXByaW50ZWQ";

    // A JOSE header and an access token's payload with more than the registered fields, in no usual order.
    private const string WholeHeader = """{"alg":"ES256","typ":"at+jwt","kid":"2024-11 signing","x5t#S256":"n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg"}""";

    // How the test reads the tool's JSON back: compact, and escaped no more than the tool escapes.
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Tool _tool = new(fixture);

    [Fact]
    public async Task Inspect_reads_an_access_token_from_standard_input_without_printing_it()
    {
        var token = await AccessTokenAsync();
        _tool.Input = token + "\n";

        var run = await _tool.RunAsync("inspect", "-");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"iss: {_tool.Authority}", run.Out, StringComparison.Ordinal);
        Assert.Contains($"sub: {TestTokenServer.BasicClientId}", run.Out, StringComparison.Ordinal);
        Assert.Contains("header.alg: RS256", run.Out, StringComparison.Ordinal);
        Assert.Matches(@"exp: \d+ = 2026-", run.Out);
        Assert.Matches(@"\(in (9|10) seconds\)", run.Out); // exp is whole seconds; the shared clock may be mid-second
        AssertNothingOfThe(token, run);
    }

    [Fact]
    public async Task Inspect_shows_jti_custom_claims_and_every_header_field_in_the_tokens_order()
    {
        var now = _tool.MoveToNextWholeSecond();
        var token = Jwt(WholeHeader, WholePayload(now));

        var run = await _tool.RunAsync("inspect", token);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(
            [
                "header.alg: ES256",
                "header.typ: at+jwt",
                "header.kid: 2024-11 signing",
                "header.x5t#S256: n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg",
                "iss: https://sso.example.org/realms/prod",
                "sub: 7c1e",
                """aud: ["inventory-api","billing"]""",
                $"exp: {now + 300} = {DateTimeOffset.FromUnixTimeSeconds(now + 300).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)} (in 5 minutes)",
                "nbf: 1764590390 = 2025-12-01 11:59:50 UTC",
                "iat: 1764590400 = 2025-12-01 12:00:00 UTC",
                "auth_time: 1764590000 = 2025-12-01 11:53:20 UTC",
                "jti: onrtac:4f1e-9a",
                "azp: inventory",
                "scope: openid inventory:read",
                """realm_access: {"roles":["offline_access","inventory-admin"]}""",
                """cnf: {"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiGuA4I"}""",
                """groups: ["/ops","/ops/night"]""",
                """address: {"locality":"Zürich","postal_code":"8001"}""",
                "tenant: acme",
                "display_name: Zoë <ops> & co",
                "seats: 25",
                "ratio: 0.75",
                "mfa: true",
                "email_verified: false",
                "manager: null",
                "empty: []",
            ],
            run.Out.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        AssertNothingOfThe(token, run);
    }

    [Fact]
    public async Task Inspect_json_is_the_whole_decoded_header_and_payload_with_every_date()
    {
        var now = _tool.MoveToNextWholeSecond();
        var payload = WholePayload(now);
        var token = Jwt(WholeHeader, payload);

        var run = await _tool.RunAsync("inspect", token, "--json");

        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(WholeHeader, JsonSerializer.Serialize(json.RootElement.GetProperty("header"), Compact));
        Assert.Equal(payload, JsonSerializer.Serialize(json.RootElement.GetProperty("claims"), Compact));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764590400), json.RootElement.GetProperty("issued_at").GetDateTimeOffset());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764590390), json.RootElement.GetProperty("not_before").GetDateTimeOffset());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(now + 300), json.RootElement.GetProperty("expires_at").GetDateTimeOffset());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764590000), json.RootElement.GetProperty("authenticated_at").GetDateTimeOffset());
        Assert.False(json.RootElement.GetProperty("expired").GetBoolean());
        AssertNothingOfThe(token, run);
    }

    [Fact]
    public async Task A_control_character_in_a_name_or_a_value_is_shown_escaped_on_its_own_line()
    {
        var token = Jwt("""{"alg":"none","kid":"k\u001b[31mred"}""", """{"note":"line one\nline two","tab\tname":"x","nested":{"a":"b\nc"}}""");

        var run = await _tool.RunAsync("inspect", token);

        Assert.Equal(
            [
                "header.alg: none",
                "header.kid: \"k\\u001B[31mred\"",
                "note: \"line one\\nline two\"",
                "\"tab\\tname\": x",
                "nested: {\"a\":\"b\\nc\"}",
                "iat: none",
                "exp: never (no exp claim: it lives until revoked, or until unused for too long, like Keycloak's offline tokens)",
            ],
            run.Out.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("""{"alg":"none","alg":"HS256"}""", """{"sub":"a"}""")]
    [InlineData("""{"alg":"none"}""", """{"sub":"a","sub":"b"}""")]
    public async Task A_token_that_names_a_field_twice_is_a_usage_error_that_shows_neither_value(string header, string payload)
    {
        var token = Jwt(header, payload);

        var run = await _tool.RunAsync("inspect", token);

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Equal("offline-token: This JWT names a header field or a claim twice: which one counts depends on who reads it." + Environment.NewLine, run.Error);
        Assert.Empty(run.Out);
        AssertNothingOfThe(token, run);
    }

    [Fact]
    public async Task Inspect_says_when_a_token_has_expired()
    {
        var token = await AccessTokenAsync();
        _tool.Time.Advance(TimeSpan.FromMinutes(3));

        var run = await _tool.RunAsync("inspect", token);

        Assert.Contains("(expired 3 minutes ago)", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_of_a_Keycloak_offline_token_says_it_never_expires()
    {
        var offline = Jwt(
            """{"alg":"HS512","typ":"JWT","kid":"5f1c"}""",
            """{"iat":1764590400,"jti":"a1","iss":"https://sso.example.org/realms/prod","aud":"https://sso.example.org/realms/prod","sub":"7c1e","typ":"Offline","azp":"ua-grant","sid":"s1","scope":"openid offline_access"}""");

        var run = await _tool.RunAsync("inspect", offline);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(
            [
                "header.alg: HS512",
                "header.typ: JWT",
                "header.kid: 5f1c",
                "iat: 1764590400 = 2025-12-01 12:00:00 UTC",
                "jti: a1",
                "iss: https://sso.example.org/realms/prod",
                "aud: https://sso.example.org/realms/prod",
                "sub: 7c1e",
                "typ: Offline",
                "azp: ua-grant",
                "sid: s1",
                "scope: openid offline_access",
                "exp: never (no exp claim: it lives until revoked, or until unused for too long, like Keycloak's offline tokens)",
            ],
            run.Out.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(Signature, run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_json_has_header_claims_and_dates()
    {
        var offline = Jwt("""{"alg":"HS512"}""", """{"typ":"Offline","azp":"ua-grant","iat":1764590400,"exp":1764594000}""");

        var run = await _tool.RunAsync("inspect", offline, "--json");

        using var json = JsonDocument.Parse(run.Out);
        Assert.False(json.RootElement.GetProperty("encrypted").GetBoolean());
        Assert.Equal("HS512", json.RootElement.GetProperty("header").GetProperty("alg").GetString());
        Assert.Equal("Offline", json.RootElement.GetProperty("claims").GetProperty("typ").GetString());
        Assert.Equal("ua-grant", json.RootElement.GetProperty("claims").GetProperty("azp").GetString());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764594000), json.RootElement.GetProperty("expires_at").GetDateTimeOffset());
        Assert.True(json.RootElement.GetProperty("expired").GetBoolean());
        Assert.DoesNotContain(Signature, run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_of_a_stored_refresh_token_of_the_development_server_says_it_is_encrypted()
    {
        _tool.WithSecret(TestTokenServer.BasicClientSecret);
        await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, "inventory", "--scope", $"offline_access {TestTokenServer.ApiScope}"));
        var stored = await new FileRefreshTokenStore(_tool.StoreDirectory, TokenProtection.None).GetAsync("inventory", default);

        var run = await _tool.RunAsync("inspect", "--store", _tool.StoreDirectory, "--client", "inventory");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("encrypted: yes (a JWE)", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(stored!, run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_of_an_opaque_token_is_a_usage_error()
    {
        var run = await _tool.RunAsync("inspect", "8a3f2c9e0d1b");

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("not a JWT", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("8a3f2c9e0d1b", run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_without_a_token_is_a_usage_error()
    {
        var run = await _tool.RunAsync("inspect");

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
    }

    [Theory]
    [InlineData("Decode a JWT's header and all its claims (iat, nbf, exp, auth_time also as dates); never prints the token or its signature.")]
    [InlineData("<token> The token, or - to read it from standard input (safer: an argument shows in the process list).")]
    [InlineData("--store <store> Inspect the refresh token kept in this file store directory.")]
    [InlineData("--client <client> The client name in the store.")]
    public async Task Inspect_help_says_what_it_shows_and_where_the_token_can_come_from(string sentence)
    {
        var run = await _tool.RunAsync("inspect", "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(sentence, Regex.Replace(run.Out, @"\s+", " "), StringComparison.Ordinal); // help wraps lines to the terminal
    }

    private static string WholePayload(long now) =>
        $$"""{"iss":"https://sso.example.org/realms/prod","sub":"7c1e","aud":["inventory-api","billing"],"exp":{{now + 300}},"nbf":1764590390,"iat":1764590400,"auth_time":1764590000,"jti":"onrtac:4f1e-9a","azp":"inventory","scope":"openid inventory:read","realm_access":{"roles":["offline_access","inventory-admin"]},"cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiGuA4I"},"groups":["/ops","/ops/night"],"address":{"locality":"Zürich","postal_code":"8001"},"tenant":"acme","display_name":"Zoë <ops> & co","seats":25,"ratio":0.75,"mfa":true,"email_verified":false,"manager":null,"empty":[]}""";

    /// <summary>Neither the token, nor any of its segments (the signature above all), in anything the tool wrote.</summary>
    private static void AssertNothingOfThe(string token, ToolRun run)
    {
        Assert.DoesNotContain(token, run.All, StringComparison.Ordinal);
        foreach (var segment in token.Split('.'))
        {
            Assert.DoesNotContain(segment, run.All, StringComparison.Ordinal);
        }
    }

    private static string Jwt(string header, string payload) =>
        $"{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header))}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload))}.{Signature}";

    private async Task<string> AccessTokenAsync()
    {
        _tool.WithSecret(TestTokenServer.BasicClientSecret);
        var run = await _tool.RunAsync(_tool.Args("get", TestTokenServer.BasicClientId, clientName: null, "--json"));
        using var json = JsonDocument.Parse(run.Out);
        return json.RootElement.GetProperty("access_token").GetString()!;
    }

    public void Dispose() => _tool.Dispose();
}
