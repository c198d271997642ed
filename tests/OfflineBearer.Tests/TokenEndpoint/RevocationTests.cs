using System.Net;
using OfflineBearer.Tooling;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.TokenEndpoint;

/// <summary>RFC 7009 revocation through the endpoint client: what is sent, and refusals that never carry the token.</summary>
public sealed class RevocationTests
{
    private const string RefreshToken = "offline-rt-4711-secret";

    [Fact]
    public async Task Revocation_posts_the_token_and_its_type_to_the_discovered_endpoint_with_the_client_credential()
    {
        using var server = new EndpointServer();
        var client = server.Client();

        await client.RevokeAsync(RefreshToken, "refresh_token", CancellationToken.None);

        var request = Assert.Single(server.Calls);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal(EndpointServer.RevocationEndpoint, request.Uri);
        Assert.Equal(new Dictionary<string, string> { ["token"] = RefreshToken, ["token_type_hint"] = "refresh_token" }, request.Form);
        Assert.Equal("Basic", request.Authorization?.Scheme);
    }

    [Fact]
    public async Task A_public_client_revokes_with_its_id_in_the_form()
    {
        using var server = new EndpointServer();
        var client = server.Client(o => o.ClientSecret = null);

        await client.RevokeAsync(RefreshToken, "refresh_token", CancellationToken.None);

        var request = Assert.Single(server.Calls);
        Assert.Null(request.Authorization);
        Assert.Equal(EndpointServer.ClientId, request.Form["client_id"]);
        Assert.False(request.Form.ContainsKey("client_secret"));
    }

    [Fact]
    public async Task A_refused_revocation_is_an_oauth_error_without_the_token_it_echoes()
    {
        using var server = new EndpointServer
        {
            OnRequest = _ => Task.FromResult(EndpointServer.Error("invalid_client", $"token={RefreshToken} not yours", HttpStatusCode.Unauthorized)),
        };
        var client = server.Client();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.RevokeAsync(RefreshToken, "refresh_token", CancellationToken.None));

        Assert.Equal("invalid_client", error.Error);
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Contains("refused the revocation request", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(RefreshToken, error.ErrorDescription, StringComparison.Ordinal);
        Assert.DoesNotContain(RefreshToken, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_revocation_endpoint_that_fails_without_an_oauth_error_gives_its_status()
    {
        using var server = new EndpointServer { OnRequest = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)) };
        var client = server.Client();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.RevokeAsync(RefreshToken, "refresh_token", CancellationToken.None));

        Assert.Null(error.Error);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Contains("answered the revocation request with HTTP 503 (no content type) and no usable body.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_without_a_revocation_endpoint_is_told_apart_from_a_refusal()
    {
        using var server = new EndpointServer();
        server.Discovery.Remove("revocation_endpoint");
        var client = server.Client();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.RevokeAsync(RefreshToken, "refresh_token", CancellationToken.None));

        Assert.Equal(
            $"The token server of OfflineBearer client '{EndpointServer.ClientName}' names no \"revocation_endpoint\" in its discovery document.",
            error.Message);
        Assert.Empty(server.Calls);
    }
}
