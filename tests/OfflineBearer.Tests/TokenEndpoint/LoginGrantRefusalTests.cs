using System.Net;
using OfflineBearer.Tooling;
using OfflineBearer.Tests.Support;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tests.TokenEndpoint;

/// <summary>
/// What a refused login grant says: advice that fits the grant, and never the authorization code, its PKCE verifier or
/// the device code, whatever the server echoes.
/// </summary>
public sealed class LoginGrantRefusalTests
{
    private const string Code = "auth-code-5f3a9c";
    private const string Verifier = "pkce-verifier-0d7e21b4";
    private const string DeviceCode = "device-code-77c1ae";
    private static readonly Uri Redirect = new("http://127.0.0.1:49152/callback");

    [Fact]
    public async Task A_refused_code_says_why_codes_are_refused_and_shows_neither_code_nor_verifier()
    {
        using var server = new EndpointServer
        {
            OnRequest = _ => Task.FromResult(EndpointServer.Error("invalid_grant", $"code={Code}&code_verifier={Verifier} do not match")),
        };
        var client = server.Client(o => o.ClientSecret = null);

        var error = await Assert.ThrowsAsync<OfflineBearerException>(
            () => client.RequestAsync(UserGrants.AuthorizationCode(Code, Redirect, Verifier), CancellationToken.None));

        Assert.Equal("invalid_grant", error.Error);
        Assert.Contains("refused the authorization_code request", error.Message, StringComparison.Ordinal);
        Assert.Contains("The authorization code was refused", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Code, error.ErrorDescription, StringComparison.Ordinal);
        Assert.DoesNotContain(Verifier, error.ErrorDescription, StringComparison.Ordinal);
        Assert.Equal(2, CountOf(Redaction.Marker, error.ErrorDescription!));
    }

    [Fact]
    public async Task A_code_is_redeemed_at_the_token_endpoint_with_its_redirect_and_verifier()
    {
        using var server = new EndpointServer
        {
            OnRequest = _ => Task.FromResult(Harness.Json(TokenJson.Success("at-1", refreshToken: "rt-1"))),
        };
        var client = server.Client(o => o.ClientSecret = null);

        var response = await client.RequestAsync(UserGrants.AuthorizationCode(Code, Redirect, Verifier), CancellationToken.None);

        Assert.Equal("rt-1", response.RefreshToken);
        var request = Assert.Single(server.Calls);
        Assert.Equal(EndpointServer.TokenEndpoint, request.Uri);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = Code,
                ["redirect_uri"] = Redirect.AbsoluteUri,
                ["code_verifier"] = Verifier,
                ["client_id"] = EndpointServer.ClientId,
            },
            request.Form);
    }

    [Fact]
    public async Task A_code_is_not_sent_twice_when_the_answer_may_have_been_lost()
    {
        using var server = new EndpointServer { OnRequest = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.BadGateway)) };
        var client = server.Client(o =>
        {
            o.ClientSecret = null;
            o.TokenRequestRetries = 2;
        });

        var error = await Assert.ThrowsAsync<OfflineBearerException>(
            () => client.RequestAsync(UserGrants.AuthorizationCode(Code, Redirect, Verifier), CancellationToken.None));

        Assert.Equal(HttpStatusCode.BadGateway, error.StatusCode);
        Assert.Single(server.Calls);
    }

    [Fact]
    public async Task A_gateway_page_instead_of_a_token_names_the_grant_it_answered()
    {
        using var server = new EndpointServer
        {
            OnRequest = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.BadGateway)
            {
                Content = new StringContent("<html>502</html>", System.Text.Encoding.UTF8, "text/html"),
            }),
        };
        var client = server.Client(o => o.ClientSecret = null);

        var error = await Assert.ThrowsAsync<OfflineBearerException>(
            () => client.RequestAsync(UserGrants.AuthorizationCode(Code, Redirect, Verifier), CancellationToken.None));

        Assert.Contains("answered the authorization_code request with HTTP 502 (text/html) and the body is not JSON.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_device_code_echoed_in_a_refusal_is_redacted()
    {
        using var server = new EndpointServer
        {
            OnRequest = _ => Task.FromResult(EndpointServer.Error("authorization_pending", $"device_code {DeviceCode} waits for the user")),
        };
        var client = server.Client(o => o.ClientSecret = null);

        var error = await Assert.ThrowsAsync<OfflineBearerException>(
            () => client.RequestAsync(UserGrants.DeviceCode(DeviceCode), CancellationToken.None));

        Assert.Equal("authorization_pending", error.Error);
        Assert.Equal(
            $"The token server refused the {GrantTypes.DeviceCode} request of OfflineBearer client '{EndpointServer.ClientName}' with HTTP 400 " +
            "'authorization_pending'. See ErrorDescription for the server's reason.",
            error.Message);
        Assert.Equal($"device_code {Redaction.Marker} waits for the user", error.ErrorDescription);
    }

    [Fact]
    public async Task An_error_code_that_echoes_a_credential_is_redacted_too()
    {
        using var server = new EndpointServer
        {
            OnRequest = _ => Task.FromResult(EndpointServer.Error($"bad_{DeviceCode}", "unknown")),
        };
        var client = server.Client(o => o.ClientSecret = null);

        var error = await Assert.ThrowsAsync<OfflineBearerException>(
            () => client.RequestAsync(UserGrants.DeviceCode(DeviceCode), CancellationToken.None));

        Assert.Equal($"bad_{Redaction.Marker}", error.Error);
        Assert.DoesNotContain(DeviceCode, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("access_denied", "The user or the server denied the request.")]
    [InlineData("expired_token", "The device code expired before the user approved it; start again.")]
    [InlineData("invalid_grant", "See ErrorDescription for the server's reason.")]
    [InlineData("invalid_scope", "The server refused the requested Scope.")]
    [InlineData("not_allowed", "The server does not allow offline tokens for this client or account (the offline_access role is missing).")]
    [InlineData("unauthorized_client", "The server does not accept this client's credentials: check ClientId, ClientSecret and ClientAuthentication.")]
    [InlineData("invalid_client", "The server does not accept this client's credentials: check ClientId, ClientSecret and ClientAuthentication.")]
    public async Task A_device_poll_refusal_ends_with_advice_for_the_person_waiting(string oauthError, string advice)
    {
        using var server = new EndpointServer { OnRequest = _ => Task.FromResult(EndpointServer.Error(oauthError, "-")) };
        var client = server.Client(o => o.ClientSecret = null);

        var error = await Assert.ThrowsAsync<OfflineBearerException>(
            () => client.RequestAsync(UserGrants.DeviceCode(DeviceCode), CancellationToken.None));

        Assert.EndsWith($"with HTTP 400 '{oauthError}'. {advice}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_public_client_with_nothing_stored_is_told_how_to_get_an_offline_token_and_nothing_is_sent()
    {
        using var server = new EndpointServer();
        var client = server.Redeemer(o => o.ClientSecret = null);

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.RedeemAsync(refreshToken: null, CancellationToken.None));

        Assert.Equal(
            $"OfflineBearer client '{EndpointServer.ClientName}' is a public client (no ClientSecret) and has no refresh token: neither " +
            $"RefreshToken nor its store holds one. Get an offline token with 'offline-token login --store DIR --client {EndpointServer.ClientName}'.",
            error.Message);
        Assert.Null(error.Error);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task A_confidential_client_with_nothing_stored_runs_client_credentials()
    {
        using var server = new EndpointServer { OnRequest = _ => Task.FromResult(Harness.Json(TokenJson.Success("at-1"))) };
        var client = server.Redeemer(o => o.Scope = "api");

        var grant = (await client.RedeemAsync(refreshToken: null, CancellationToken.None)).Grant;

        Assert.Equal("client_credentials", grant);
        Assert.Equal("api", Assert.Single(server.Calls).Form["scope"]);
    }

    private static int CountOf(string part, string text) => (text.Length - text.Replace(part, string.Empty, StringComparison.Ordinal).Length) / part.Length;
}
