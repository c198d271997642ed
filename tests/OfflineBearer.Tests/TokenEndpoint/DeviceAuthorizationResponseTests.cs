using System.Text;
using OfflineBearer.Tooling;

namespace OfflineBearer.Tests.TokenEndpoint;

/// <summary>What the tool reads of a device authorization response (RFC 8628 3.2), and what it refuses to poll with.</summary>
public sealed class DeviceAuthorizationResponseTests
{
    private const string Keycloak = """
        {
          "device_code": "dc-8f1e2d",
          "user_code": "WDJB-MJHT",
          "verification_uri": "https://sso.test/realms/prod/device",
          "verification_uri_complete": "https://sso.test/realms/prod/device?user_code=WDJB-MJHT",
          "expires_in": 600,
          "interval": 7
        }
        """;

    [Fact]
    public void A_complete_response_gives_the_codes_the_addresses_the_lifetime_and_the_interval()
    {
        var authorization = Parse(Keycloak);

        Assert.NotNull(authorization);
        Assert.Equal("dc-8f1e2d", authorization.DeviceCode);
        Assert.Equal("WDJB-MJHT", authorization.UserCode);
        Assert.Equal(new Uri("https://sso.test/realms/prod/device"), authorization.VerificationUri);
        Assert.Equal(new Uri("https://sso.test/realms/prod/device?user_code=WDJB-MJHT"), authorization.VerificationUriComplete);
        Assert.Equal(TimeSpan.FromMinutes(10), authorization.ExpiresIn);
        Assert.Equal(TimeSpan.FromSeconds(7), authorization.Interval);
    }

    [Theory]
    [InlineData("""{"device_code":"d","user_code":"u","verification_uri":"https://sso.test/device","expires_in":600}""")]
    [InlineData("""{"device_code":"d","user_code":"u","verification_uri":"https://sso.test/device","expires_in":600,"interval":0}""")]
    [InlineData("""{"device_code":"d","user_code":"u","verification_uri":"https://sso.test/device","expires_in":600,"interval":-3}""")]
    [InlineData("""{"device_code":"d","user_code":"u","verification_uri":"https://sso.test/device","expires_in":600,"interval":"7"}""")]
    [InlineData("""{"device_code":"d","user_code":"u","verification_uri":"https://sso.test/device","expires_in":600,"interval":1e12}""")]
    public void Without_a_usable_interval_the_tool_polls_every_five_seconds(string json)
    {
        var authorization = Parse(json);

        Assert.NotNull(authorization);
        Assert.Equal(TimeSpan.FromSeconds(5), authorization.Interval);
        Assert.Equal(DeviceAuthorization.DefaultInterval, authorization.Interval);
    }

    [Fact]
    public void An_interval_of_one_second_is_kept()
    {
        var authorization = Parse("""{"device_code":"d","user_code":"u","verification_uri":"https://sso.test/device","expires_in":1,"interval":1}""");

        Assert.NotNull(authorization);
        Assert.Equal(TimeSpan.FromSeconds(1), authorization.Interval);
        Assert.Equal(TimeSpan.FromSeconds(1), authorization.ExpiresIn);
    }

    [Fact]
    public void Googles_verification_url_spelling_is_read()
    {
        var authorization = Parse("""{"device_code":"d","user_code":"u","verification_url":"https://www.google.com/device","expires_in":1800}""");

        Assert.NotNull(authorization);
        Assert.Equal(new Uri("https://www.google.com/device"), authorization.VerificationUri);
    }

    [Fact]
    public void The_standard_verification_uri_wins_over_googles_spelling()
    {
        var authorization = Parse("""{"device_code":"d","user_code":"u","verification_uri":"https://sso.test/device","verification_url":"https://other.test/device","expires_in":600}""");

        Assert.Equal(new Uri("https://sso.test/device"), authorization!.VerificationUri);
    }

    [Fact]
    public void A_complete_verification_address_that_is_not_a_string_is_left_out()
    {
        var authorization = Parse("""{"device_code":"d","user_code":"u","verification_uri":"https://sso.test/device","verification_uri_complete":42,"expires_in":600}""");

        Assert.NotNull(authorization);
        Assert.Null(authorization.VerificationUriComplete);
    }

    [Fact]
    public void A_plain_http_verification_address_on_a_development_server_is_read()
    {
        var authorization = Parse("""{"device_code":"d","user_code":"u","verification_uri":"http://127.0.0.1:5080/device","verification_uri_complete":"http://127.0.0.1:5080/device?user_code=u","expires_in":600}""");

        Assert.NotNull(authorization);
        Assert.Equal(new Uri("http://127.0.0.1:5080/device"), authorization.VerificationUri);
        Assert.Equal(new Uri("http://127.0.0.1:5080/device?user_code=u"), authorization.VerificationUriComplete);
    }

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("/device?user_code=u")]
    [InlineData("ftp://sso.test/device")]
    public void A_complete_verification_address_that_is_not_http_is_left_out(string complete)
    {
        var authorization = Parse($$"""{"device_code":"d","user_code":"u","verification_uri":"https://sso.test/device","verification_uri_complete":"{{complete}}","expires_in":600}""");

        Assert.NotNull(authorization);
        Assert.Null(authorization.VerificationUriComplete);
    }

    [Theory]
    [InlineData("no device code", """{"user_code":"u","verification_uri":"https://sso.test/device","expires_in":600}""")]
    [InlineData("empty device code", """{"device_code":"","user_code":"u","verification_uri":"https://sso.test/device","expires_in":600}""")]
    [InlineData("device code a number", """{"device_code":42,"user_code":"u","verification_uri":"https://sso.test/device","expires_in":600}""")]
    [InlineData("no user code", """{"device_code":"d","verification_uri":"https://sso.test/device","expires_in":600}""")]
    [InlineData("empty user code", """{"device_code":"d","user_code":"","verification_uri":"https://sso.test/device","expires_in":600}""")]
    [InlineData("no verification address", """{"device_code":"d","user_code":"u","expires_in":600}""")]
    [InlineData("relative verification address", """{"device_code":"d","user_code":"u","verification_uri":"/device","expires_in":600}""")]
    [InlineData("verification address not http", """{"device_code":"d","user_code":"u","verification_uri":"javascript:alert(1)","expires_in":600}""")]
    [InlineData("no lifetime", """{"device_code":"d","user_code":"u","verification_uri":"https://sso.test/device"}""")]
    [InlineData("zero lifetime", """{"device_code":"d","user_code":"u","verification_uri":"https://sso.test/device","expires_in":0}""")]
    [InlineData("lifetime a string", """{"device_code":"d","user_code":"u","verification_uri":"https://sso.test/device","expires_in":"600"}""")]
    [InlineData("a JSON array", """[{"device_code":"d","user_code":"u","verification_uri":"https://sso.test/device","expires_in":600}]""")]
    [InlineData("not JSON", "<html>Bad gateway</html>")]
    public void A_response_without_what_the_user_or_the_poll_needs_is_refused(string what, string json)
    {
        Assert.True(Parse(json) is null, what);
    }

    [Fact]
    public void A_response_with_invalid_utf8_is_refused()
    {
        byte[] body = [.. "{\"device_code\":\""u8, 0xC3, 0x28, .. "\",\"user_code\":\"u\",\"verification_uri\":\"https://sso.test/device\",\"expires_in\":600}"u8];

        Assert.Null(DeviceAuthorization.Parse(body));
    }

    [Fact]
    public void Its_text_shows_the_user_code_but_never_the_device_code()
    {
        var text = Parse(Keycloak)!.ToString();

        Assert.Contains("WDJB-MJHT", text, StringComparison.Ordinal);
        Assert.DoesNotContain("dc-8f1e2d", text, StringComparison.Ordinal);
    }

    private static DeviceAuthorization? Parse(string json) => DeviceAuthorization.Parse(Encoding.UTF8.GetBytes(json));
}
