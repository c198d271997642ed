using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using OfflineBearer.Cli.Tests.Support;
using OfflineBearer.Internal;

namespace OfflineBearer.Cli.Tests;

[Collection(CliServer.Name)]
public sealed class InspectTests(CliServerFixture fixture) : IDisposable
{
    private const string Signature = "c2lnbmF0dXJlLW5ldmVyLXByaW50ZWQ";

    private readonly Tool _tool = new(fixture);

    [Fact]
    public async Task Inspect_reads_an_access_token_from_standard_input_without_printing_it()
    {
        var token = await AccessTokenAsync();
        _tool.Input = token + "\n";

        var run = await _tool.RunAsync("inspect", "-");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"iss: {_tool.Authority}", run.Out, StringComparison.Ordinal);
        Assert.Contains($"sub: {TokenServer.BasicClientId}", run.Out, StringComparison.Ordinal);
        Assert.Contains("header.alg: RS256", run.Out, StringComparison.Ordinal);
        Assert.Contains("exp: 2026-", run.Out, StringComparison.Ordinal);
        Assert.Matches(@"\(in (9|10) seconds\)", run.Out); // exp is whole seconds; the shared clock may be mid-second
        Assert.DoesNotContain(token.Split('.')[2], run.All, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[1], run.All, StringComparison.Ordinal);
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
                "header.kid: 5f1c",
                "header.typ: JWT",
                "iss: https://sso.example.org/realms/prod",
                "sub: 7c1e",
                "azp: ua-grant",
                "typ: Offline",
                "scope: openid offline_access",
                "sid: s1",
                "aud: https://sso.example.org/realms/prod",
                "iat: 2025-12-01 12:00:00 UTC",
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
        _tool.WithSecret(TokenServer.BasicClientSecret);
        await _tool.RunAsync(_tool.Args("get", TokenServer.BasicClientId, "inventory", "--scope", $"offline_access {TokenServer.ApiScope}"));
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

    private static string Jwt(string header, string payload) =>
        $"{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header))}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload))}.{Signature}";

    private async Task<string> AccessTokenAsync()
    {
        _tool.WithSecret(TokenServer.BasicClientSecret);
        var run = await _tool.RunAsync(_tool.Args("get", TokenServer.BasicClientId, clientName: null, "--json"));
        using var json = JsonDocument.Parse(run.Out);
        return json.RootElement.GetProperty("access_token").GetString()!;
    }

    public void Dispose() => _tool.Dispose();
}
