using System.Net;
using System.Text;
using OfflineBearer.ClientAuthentication;
using OfflineBearer.Tests.Support;
using OfflineBearer.TokenEndpoint;
using OfflineBearer.Tooling;

namespace OfflineBearer.Tests.TokenEndpoint;

/// <summary>How the endpoint client asks for a device code (RFC 8628 3.1) and what it says when it gets none.</summary>
public sealed class DeviceAuthorizationRequestTests
{
    private const string Answer = """{"device_code":"dc-secret-77","user_code":"WDJB-MJHT","verification_uri":"https://sso.test/device","expires_in":600,"interval":5}""";

    [Fact]
    public async Task The_request_goes_to_the_discovered_device_endpoint_with_the_scope_and_the_basic_credential()
    {
        using var server = new EndpointServer { OnRequest = _ => Task.FromResult(Harness.Json(Answer)) };
        var client = server.Client(o => o.Scope = "openid offline_access");

        var authorization = await client.RequestDeviceAuthorizationAsync(CancellationToken.None);

        Assert.Equal("WDJB-MJHT", authorization.UserCode);
        Assert.Equal("dc-secret-77", authorization.DeviceCode);
        var request = Assert.Single(server.Calls);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal(EndpointServer.DeviceEndpoint, request.Uri);
        Assert.Equal(new Dictionary<string, string> { ["scope"] = "openid offline_access" }, request.Form);
        Assert.Equal("Basic", request.Authorization?.Scheme);
        Assert.Equal(ClientAuthenticator.BasicCredentials(EndpointServer.ClientId, EndpointServer.ClientSecret).Parameter, request.Authorization?.Parameter);
        Assert.Equal("application/json", request.Headers["Accept"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(" ")]
    public async Task Without_a_scope_the_request_asks_for_none(string? scope)
    {
        using var server = new EndpointServer { OnRequest = _ => Task.FromResult(Harness.Json(Answer)) };
        var client = server.Client(o => o.Scope = scope);

        await client.RequestDeviceAuthorizationAsync(CancellationToken.None);

        Assert.Empty(Assert.Single(server.Calls).Form);
    }

    [Fact]
    public async Task A_public_client_sends_its_id_in_the_form_and_no_secret()
    {
        using var server = new EndpointServer { OnRequest = _ => Task.FromResult(Harness.Json(Answer)) };
        var client = server.Client(o => o.ClientSecret = null);

        await client.RequestDeviceAuthorizationAsync(CancellationToken.None);

        var request = Assert.Single(server.Calls);
        Assert.Null(request.Authorization);
        Assert.Equal(new Dictionary<string, string> { ["client_id"] = EndpointServer.ClientId }, request.Form);
    }

    [Fact]
    public async Task A_client_with_post_authentication_sends_id_and_secret_in_the_form()
    {
        using var server = new EndpointServer { OnRequest = _ => Task.FromResult(Harness.Json(Answer)) };
        var client = server.Client(o => o.ClientAuthentication = ClientAuthenticationMethod.ClientSecretPost);

        await client.RequestDeviceAuthorizationAsync(CancellationToken.None);

        var request = Assert.Single(server.Calls);
        Assert.Null(request.Authorization);
        Assert.Equal(EndpointServer.ClientId, request.Form["client_id"]);
        Assert.Equal(EndpointServer.ClientSecret, request.Form["client_secret"]);
    }

    [Fact]
    public async Task A_refusal_is_an_oauth_error_naming_the_device_authorization_without_the_secret()
    {
        using var server = new EndpointServer
        {
            OnRequest = _ => Task.FromResult(EndpointServer.Error("unauthorized_client", $"client {EndpointServer.ClientSecret} may not use the device grant")),
        };
        var client = server.Client();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.RequestDeviceAuthorizationAsync(CancellationToken.None));

        Assert.Equal("unauthorized_client", error.Error);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Contains("device authorization request", error.Message, StringComparison.Ordinal);
        Assert.Contains("check ClientId, ClientSecret and ClientAuthentication", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(EndpointServer.ClientSecret, error.ErrorDescription, StringComparison.Ordinal);
        Assert.Contains(Redaction.Marker, error.ErrorDescription, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_success_without_a_usable_device_code_says_the_body_was_not_usable()
    {
        using var server = new EndpointServer { OnRequest = _ => Task.FromResult(Harness.Json("""{"user_code":"WDJB-MJHT"}""")) };
        var client = server.Client();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.RequestDeviceAuthorizationAsync(CancellationToken.None));

        Assert.Null(error.Error);
        Assert.Equal(HttpStatusCode.OK, error.StatusCode);
        Assert.Contains("answered the device authorization request with HTTP 200 (application/json) and no usable body", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gateway_page_instead_of_an_answer_says_the_body_is_not_json()
    {
        using var server = new EndpointServer
        {
            OnRequest = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound)
            {
                Content = new StringContent("<html>no such page</html>", Encoding.UTF8, "text/html"),
            }),
        };
        var client = server.Client();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.RequestDeviceAuthorizationAsync(CancellationToken.None));

        Assert.Null(error.Error);
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Contains("HTTP 404 (text/html) and the body is not JSON", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("no such page", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_answer_without_an_error_code_is_described_not_taken_for_a_refusal()
    {
        using var server = new EndpointServer { OnRequest = _ => Task.FromResult(Harness.Json("""{"message":"nope"}""", HttpStatusCode.BadRequest)) };
        var client = server.Client();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.RequestDeviceAuthorizationAsync(CancellationToken.None));

        Assert.Null(error.Error);
        Assert.Contains("HTTP 400 (application/json) and no usable body", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lost_device_authorization_answer_is_asked_for_again()
    {
        using var server = new EndpointServer();
        server.OnRequest = _ => Task.FromResult(server.Calls.Count == 1
            ? new HttpResponseMessage(HttpStatusCode.BadGateway)
            : Harness.Json(Answer));
        var client = server.Client(o => o.TokenRequestRetries = 1);

        var request = client.RequestDeviceAuthorizationAsync(CancellationToken.None);
        while (!request.IsCompleted && server.Time.GetUtcNow() < new DateTimeOffset(2026, 12, 1, 13, 0, 0, TimeSpan.Zero))
        {
            server.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(request, Task.Delay(TimeSpan.FromMilliseconds(5), TimeProvider.System));
        }

        Assert.Equal("WDJB-MJHT", (await request).UserCode);
        Assert.Equal(2, server.Calls.Count);
    }
}
