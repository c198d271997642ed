using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using OfflineBearer.Cli.Tests.Support;

namespace OfflineBearer.Cli.Tests;

/// <summary>How <c>inspect</c> tells a person when a token expires: in seconds, minutes, hours or days, and never for a date it cannot trust.</summary>
[Collection(CliServer.Name)]
public sealed class InspectDatesTests(CliServerFixture fixture) : IDisposable
{
    private readonly Tool _tool = new(fixture);

    [Theory]
    [InlineData(45, "(in 45 seconds)")]
    [InlineData(59, "(in 59 seconds)")]
    [InlineData(60, "(in 1 minutes)")]
    [InlineData(3599, "(in 60 minutes)")]
    [InlineData(3600, "(in 1 hours)")]
    [InlineData(5400, "(in 1.5 hours)")]
    [InlineData(86399, "(in 24 hours)")]
    [InlineData(86400, "(in 1 days)")]
    [InlineData(30 * 86400, "(in 30 days)")]
    [InlineData(-7200, "(expired 2 hours ago)")]
    [InlineData(-3 * 86400, "(expired 3 days ago)")]
    public async Task The_time_to_expiry_reads_in_the_largest_whole_unit(int secondsFromNow, string expected)
    {
        var now = _tool.MoveToNextWholeSecond();

        var run = await _tool.RunAsync("inspect", Jwt($$"""{"sub":"svc","exp":{{now + secondsFromNow}}}"""));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(expected, run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_that_expires_this_very_second_is_not_yet_expired()
    {
        var now = _tool.MoveToNextWholeSecond();
        var token = Jwt($$"""{"exp":{{now}}}""");

        var text = await _tool.RunAsync("inspect", token);
        var json = await _tool.RunAsync("inspect", token, "--json");

        Assert.Contains("(in 0 seconds)", text.Out, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json.Out);
        Assert.False(document.RootElement.GetProperty("expired").GetBoolean());
    }

    [Fact]
    public async Task A_token_without_iat_says_none_and_json_has_no_dates()
    {
        var token = Jwt("""{"sub":"svc"}""");

        var text = await _tool.RunAsync("inspect", token);
        var json = await _tool.RunAsync("inspect", token, "--json");

        Assert.Contains("iat: none" + Environment.NewLine, text.Out, StringComparison.Ordinal);
        Assert.Contains("exp: never", text.Out, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("issued_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("expires_at").ValueKind);
        Assert.False(document.RootElement.GetProperty("expired").GetBoolean());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("253402300800")]
    public async Task A_date_claim_that_is_not_a_plausible_date_is_not_shown_as_one(string value)
    {
        var token = Jwt($$"""{"iat":{{value}},"exp":{{value}}}""");

        var run = await _tool.RunAsync("inspect", token);
        var json = await _tool.RunAsync("inspect", token, "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["header.alg: RS256", "header.typ: JWT", $"iat: {value}", $"exp: {value}"], run.Out.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("issued_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("expires_at").ValueKind);
    }

    [Theory]
    [InlineData("iat")]
    [InlineData("nbf")]
    [InlineData("auth_time")]
    public async Task A_numeric_date_claim_shows_its_value_and_its_date(string claim)
    {
        var run = await _tool.RunAsync("inspect", Jwt($$"""{"{{claim}}":1764590400,"exp":1764590400}"""));

        Assert.Contains($"{claim}: 1764590400 = 2025-12-01 12:00:00 UTC{Environment.NewLine}", run.Out, StringComparison.Ordinal);
        Assert.Contains("exp: 1764590400 = 2025-12-01 12:00:00 UTC (expired ", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_last_representable_second_is_a_date()
    {
        var run = await _tool.RunAsync("inspect", Jwt("""{"iat":1,"exp":253402300799}"""));

        Assert.Contains("iat: 1 = 1970-01-01 00:00:01 UTC", run.Out, StringComparison.Ordinal);
        Assert.Contains("exp: 253402300799 = 9999-12-31 23:59:59 UTC", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_audiences_are_shown_on_one_line_as_json_and_the_client_id_claim_too()
    {
        var run = await _tool.RunAsync("inspect", Jwt("""{"aud":["api","billing"],"client_id":"inventory-sync"}"""));

        Assert.Contains("""aud: ["api","billing"]""" + Environment.NewLine, run.Out, StringComparison.Ordinal);
        Assert.Contains("client_id: inventory-sync" + Environment.NewLine, run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_encrypted_token_shows_its_header_and_no_claims_even_as_json()
    {
        var jwe = $"{Base64Url.EncodeToString(Encoding.UTF8.GetBytes("""{"alg":"RSA-OAEP","enc":"A256GCM","kid":"k1","cty":"JWT"}"""))}.a2V5.aXY.Y2lwaGVy.dGFn";

        var text = await _tool.RunAsync("inspect", jwe);
        var json = await _tool.RunAsync("inspect", jwe, "--json");

        Assert.Equal(
            ["header.alg: RSA-OAEP", "header.enc: A256GCM", "header.kid: k1", "header.cty: JWT", "encrypted: yes (a JWE): only the server that issued it can read its claims."],
            text.Out.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        using var document = JsonDocument.Parse(json.Out);
        Assert.True(document.RootElement.GetProperty("encrypted").GetBoolean());
        Assert.Empty(document.RootElement.GetProperty("claims").EnumerateObject());
        Assert.Equal("A256GCM", document.RootElement.GetProperty("header").GetProperty("enc").GetString());
        Assert.Equal("JWT", document.RootElement.GetProperty("header").GetProperty("cty").GetString());
    }

    private static string Jwt(string payload) =>
        $"{Base64Url.EncodeToString("""{"alg":"RS256","typ":"JWT"}"""u8)}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload))}.c2ln";

    public void Dispose() => _tool.Dispose();
}
