using OfflineBearer.Stores;
using OfflineBearer.Validation;

namespace OfflineBearer.Tests.Options;

/// <summary>A configured token endpoint that is not an http(s) address is refused at start, in words that name the option.</summary>
public sealed class AddressValidationTests
{
    [Theory]
    [InlineData("ftp://sso.example.org/token")]
    [InlineData("file:///etc/token")]
    public void A_token_endpoint_that_is_not_http_is_refused(string endpoint)
    {
        var options = new OfflineBearerOptions { TokenEndpoint = new Uri(endpoint), ClientId = "sensor", ClientSecret = "secret" };

        var result = new OfflineBearerOptionsValidator(new InMemoryRefreshTokenStore()).Validate("sensor", options);

        Assert.Equal(["OfflineBearer client 'sensor': TokenEndpoint must be an absolute http(s) URL."], result.Failures);
    }
}
