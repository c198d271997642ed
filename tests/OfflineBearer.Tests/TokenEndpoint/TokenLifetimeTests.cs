using System.Text;
using OfflineBearer.Tests.Support;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tests.TokenEndpoint;

public sealed class TokenLifetimeTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly long NowSeconds = Now.ToUnixTimeSeconds();

    [Fact]
    public void Exp_minus_iat_is_the_lifetime_whatever_the_local_clock_says()
    {
        var token = Jwt.Create(new { iat = NowSeconds - 7200, exp = NowSeconds - 7200 + 300 });

        var lifetime = TokenLifetime.Read(token, expiresIn: 60, Now);

        Assert.Equal(TimeSpan.FromSeconds(299), lifetime);
    }

    [Fact]
    public void Without_iat_exp_is_read_against_the_local_clock()
    {
        var token = Jwt.Create(new { exp = NowSeconds + 120 });

        var lifetime = TokenLifetime.Read(token, expiresIn: 31536000, Now);

        Assert.Equal(TimeSpan.FromSeconds(119), lifetime);
    }

    [Fact]
    public void The_jwt_exp_wins_over_expires_in()
    {
        var token = Jwt.Create(new { iat = NowSeconds, exp = NowSeconds + 300 });

        var lifetime = TokenLifetime.Read(token, expiresIn: 31536000, Now);

        Assert.Equal(TimeSpan.FromSeconds(299), lifetime);
    }

    [Fact]
    public void An_opaque_token_uses_expires_in()
    {
        var lifetime = TokenLifetime.Read("2YotnFZFEjr1zCsicMWpAA", expiresIn: 60, Now);

        Assert.Equal(TimeSpan.FromSeconds(59), lifetime);
    }

    [Fact]
    public void Without_exp_and_expires_in_the_lifetime_is_unknown()
    {
        Assert.Null(TokenLifetime.Read("opaque", expiresIn: null, Now));
        Assert.Null(TokenLifetime.Read(Jwt.Create(new { sub = "svc" }), expiresIn: null, Now));
    }

    [Fact]
    public void An_absurd_lifetime_is_clamped()
    {
        var lifetime = TokenLifetime.Read("opaque", expiresIn: long.MaxValue, Now);

        Assert.Equal(TokenLifetime.Longest, lifetime);
    }

    public static TheoryData<string, string> MalformedTokens => new()
    {
        { "two segments", Jwt.Encode("{\"alg\":\"none\"}") + "." + Jwt.Encode("{\"exp\":1}") },
        { "bad base64url", "eyJhbGciOiJSUzI1NiJ9.!!!not-base64!!!.sig" },
        { "payload not json", Jwt.Encode("{\"alg\":\"RS256\"}") + "." + Jwt.Encode("not json") + ".sig" },
        { "exp as string", Jwt.Create(new { iat = "1700000000", exp = "1700000300" }) },
        { "no exp", Jwt.Create(new { sub = "svc" }) },
        { "exp in the past", Jwt.Create(new { exp = NowSeconds - 3600 }) },
        { "iat after exp", Jwt.Create(new { iat = NowSeconds + 300, exp = NowSeconds }) },
        { "exp absurd", Jwt.Create(new { exp = 1e300 }) },
        { "header not json", Jwt.Encode("nope") + "." + Jwt.Encode("{\"exp\":1}") + ".sig" },
        { "five segments (encrypted)", "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d" },
        { "non-ascii claims", Jwt.Create(new { sub = "ünïcødé ✓", iat = NowSeconds, exp = "soon" }) },
        { "empty", "" },
        { "dots only", ".." },
    };

    [Theory]
    [MemberData(nameof(MalformedTokens))]
    public void A_malformed_jwt_never_throws_and_falls_back_to_expires_in(string why, string token)
    {
        var lifetime = TokenLifetime.Read(token, expiresIn: 300, Now);

        Assert.True(lifetime == TimeSpan.FromSeconds(299), $"{why}: {lifetime}");
    }

    [Fact]
    public void A_huge_jwt_is_read()
    {
        var token = Jwt.Create(new { iat = NowSeconds, exp = NowSeconds + 600, pad = new string('x', 100_000) });

        Assert.Equal(TimeSpan.FromSeconds(599), TokenLifetime.Read(token, expiresIn: null, Now));
    }

    [Fact]
    public void A_fractional_numeric_date_is_read()
    {
        var payload = Jwt.Encode(Encoding.UTF8.GetBytes($"{{\"iat\":{NowSeconds}.25,\"exp\":{NowSeconds + 100}.25}}"));
        var token = Jwt.Encode("{\"alg\":\"RS256\"}") + "." + payload + ".sig";

        Assert.Equal(TimeSpan.FromSeconds(99), TokenLifetime.Read(token, expiresIn: null, Now));
    }

    [Theory]
    [InlineData(99_999_999_999.0, true)]
    [InlineData(100_000_000_000.0, false)]
    public void A_numeric_date_from_the_year_5138_on_does_not_count(double exp, bool counts)
    {
        var token = Jwt.Create(new { exp });

        var lifetime = TokenLifetime.Read(token, expiresIn: 300, Now);

        Assert.Equal(counts ? TokenLifetime.Longest : TimeSpan.FromSeconds(299), lifetime);
    }
}
