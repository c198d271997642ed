using OfflineBearer.Stores;
using OfflineBearer.Validation;

namespace OfflineBearer.Tests.Options;

/// <summary>Where credentials, grant and target come from is checked at start, each mistake in words that name the options.</summary>
public sealed class GrantOptionsValidationTests
{
    public static TheoryData<string, Action<OfflineBearerOptions>, string> Mistakes => new()
    {
        { "secret twice", o => o.ClientSecretPath = "/run/secret", "set ClientSecret or ClientSecretPath, not both." },
        { "assertion without file", o => { o.ClientSecret = null; o.ClientAuthentication = ClientAuthenticationMethod.ClientAssertion; }, "ClientAuthentication ClientAssertion needs the platform's JWT: set ClientAssertionPath" },
        { "assertion and secret", o => { o.ClientAuthentication = ClientAuthenticationMethod.ClientAssertion; o.ClientAssertionPath = "/t"; }, "ClientSecret is set and ClientAuthentication is ClientAssertion" },
        { "jwt-bearer without file", o => o.Grant = OfflineBearerGrant.JwtBearer, "Grant JwtBearer needs the platform's JWT" },
        { "same JWT twice", o => { o.ClientSecret = null; o.ClientAuthentication = ClientAuthenticationMethod.ClientAssertion; o.Grant = OfflineBearerGrant.JwtBearer; o.ClientAssertionPath = "/t"; }, "would send the same JWT twice" },
        { "assertion unused", o => o.ClientAssertionPath = "/t", "ClientAssertionPath is set but nothing sends it" },
        { "exchange without subject", o => o.Grant = OfflineBearerGrant.TokenExchange, "Grant TokenExchange needs exactly one subject token" },
        { "exchange with two subjects", o => { o.Grant = OfflineBearerGrant.TokenExchange; o.SubjectTokenClient = "up"; o.SubjectTokenPath = "/s"; }, "Grant TokenExchange needs exactly one subject token" },
        { "exchange from itself", o => { o.Grant = OfflineBearerGrant.TokenExchange; o.SubjectTokenClient = "sensor"; }, "SubjectTokenClient names this client itself" },
        { "exchange with refresh token", o => { o.Grant = OfflineBearerGrant.TokenExchange; o.SubjectTokenClient = "up"; o.RefreshToken = "rt"; }, "redeems no RefreshToken" },
        { "subject without exchange", o => o.SubjectTokenPath = "/s", "a subject token is set but Grant is ClientCredentials" },
        { "empty subject type", o => { o.Grant = OfflineBearerGrant.TokenExchange; o.SubjectTokenClient = "up"; o.SubjectTokenType = " "; }, "SubjectTokenType must not be empty" },
        { "relative resource", o => o.Resource.Add("/api"), "each Resource must be an absolute URI without a fragment" },
        { "resource with fragment", o => o.Resource.Add("https://api.example.org/#x"), "each Resource must be an absolute URI without a fragment" },
        { "parameter of our own", o => o.AdditionalParameters["grant_type"] = "password", "AdditionalParameters may not set 'grant_type'" },
        { "secret parameter unknown", o => o.SecretParameters.Add("api_key"), "SecretParameters names 'api_key', which is not in AdditionalParameters." },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void A_mistake_is_refused_with_words_that_name_the_options(string mistake, Action<OfflineBearerOptions> configure, string expected)
    {
        var options = new OfflineBearerOptions { TokenEndpoint = new Uri("https://sso.example.org/token"), ClientId = "sensor", ClientSecret = "secret" };
        configure(options);

        var result = new OfflineBearerOptionsValidator(new InMemoryRefreshTokenStore()).Validate("sensor", options);

        Assert.True(result.Failed, mistake);
        Assert.Contains(result.Failures!, failure => failure.StartsWith("OfflineBearer client 'sensor': ", StringComparison.Ordinal) && failure.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ClientSecretPath")]
    [InlineData("ClientAssertionPath")]
    [InlineData("SubjectTokenPath")]
    public void A_credential_file_that_cannot_be_read_stops_the_start_naming_the_option_and_the_path(string option)
    {
        var missing = Path.Combine(Path.GetTempPath(), $"offlinebearer-missing-{Guid.NewGuid():N}");
        var options = new OfflineBearerOptions { TokenEndpoint = new Uri("https://sso.example.org/token"), ClientId = "sensor" };
        typeof(OfflineBearerOptions).GetProperty(option)!.SetValue(options, missing);

        var result = new CredentialFilesValidator().Validate("sensor", options);

        Assert.Equal([$"OfflineBearer client 'sensor': {option} '{missing}' cannot be read (FileNotFoundException)."], result.Failures);
    }

    [Fact]
    public void A_readable_credential_file_and_a_provider_instead_of_a_missing_file_pass_at_start()
    {
        var file = Path.GetTempFileName();
        try
        {
            var options = new OfflineBearerOptions
            {
                TokenEndpoint = new Uri("https://sso.example.org/token"),
                ClientId = "sensor",
                ClientSecretPath = file,
                ClientAssertionPath = "/nowhere/but/the/provider/wins",
                ClientAssertionProvider = _ => ValueTask.FromResult("jwt"),
                SubjectTokenPath = "/nowhere/either",
                SubjectTokenProvider = _ => ValueTask.FromResult("token"),
            };

            var result = new CredentialFilesValidator().Validate("sensor", options);

            Assert.True(result.Succeeded, string.Join(" ", result.Failures ?? []));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_workload_client_with_a_platform_jwt_a_resource_and_an_audience_is_valid()
    {
        var options = new OfflineBearerOptions
        {
            TokenEndpoint = new Uri("https://sso.example.org/token"),
            ClientId = "sensor",
            ClientAuthentication = ClientAuthenticationMethod.ClientAssertion,
            ClientAssertionPath = "/var/run/secrets/tokens/oidc-token",
            Audience = "inventory-api",
            Resource = { "https://inventory.example.org/" },
            AdditionalParameters = { ["client_id"] = "sensor" },
        };

        var result = new OfflineBearerOptionsValidator(new InMemoryRefreshTokenStore()).Validate("sensor", options);

        Assert.True(result.Succeeded, string.Join(" ", result.Failures ?? []));
    }
}
