using OfflineBearer.Tooling;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tests.TokenEndpoint;

/// <summary>
/// The grants the offline-token tool runs: the form each sends, which of its fields are credentials to redact, and
/// which may be sent again after a request that may have reached the server.
/// </summary>
public sealed class LoginGrantTests
{
    [Fact]
    public void Client_credentials_asks_for_the_scope_carries_no_credential_and_may_be_sent_again()
    {
        var grant = TokenGrant.ClientCredentials("offline_access api");

        Assert.Equal("client_credentials", grant.Type);
        Assert.Equal([new("scope", "offline_access api")], grant.Fields);
        Assert.Null(grant.Credential);
        Assert.Null(grant.SecondCredential);
        Assert.True(grant.IsRepeatable);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Client_credentials_without_a_scope_sends_no_scope_field(string? scope)
    {
        Assert.Empty(TokenGrant.ClientCredentials(scope).Fields);
    }

    [Fact]
    public void A_refresh_redeems_the_refresh_token_once_and_redacts_it()
    {
        var grant = TokenGrant.Refresh("rt-1");

        Assert.Equal("refresh_token", grant.Type);
        Assert.Equal([new("refresh_token", "rt-1")], grant.Fields);
        Assert.Equal("rt-1", grant.Credential);
        Assert.False(grant.IsRepeatable);
    }

    [Fact]
    public void An_authorization_code_is_redeemed_once_with_its_redirect_and_verifier_both_redacted()
    {
        var grant = UserGrants.AuthorizationCode("code-1", new Uri("http://127.0.0.1:49152/callback"), "verifier-1");

        Assert.Equal("authorization_code", grant.Type);
        Assert.Equal(
            [new("code", "code-1"), new("redirect_uri", "http://127.0.0.1:49152/callback"), new("code_verifier", "verifier-1")],
            grant.Fields);
        Assert.Equal("code-1", grant.Credential);
        Assert.Equal("verifier-1", grant.SecondCredential);
        Assert.False(grant.IsRepeatable);
    }

    [Fact]
    public void A_device_code_poll_is_sent_once_and_redacts_the_device_code()
    {
        var grant = UserGrants.DeviceCode("dc-1");

        Assert.Equal("urn:ietf:params:oauth:grant-type:device_code", grant.Type);
        Assert.Equal([new("device_code", "dc-1")], grant.Fields);
        Assert.Equal("dc-1", grant.Credential);
        Assert.False(grant.IsRepeatable);
    }

    [Fact]
    public void Its_text_names_the_grant_and_no_credential()
    {
        var text = UserGrants.AuthorizationCode("code-1", new Uri("http://127.0.0.1:49152/callback"), "verifier-1").ToString();

        Assert.Contains("authorization_code", text, StringComparison.Ordinal);
        Assert.DoesNotContain("code-1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("verifier-1", text, StringComparison.Ordinal);
    }
}
