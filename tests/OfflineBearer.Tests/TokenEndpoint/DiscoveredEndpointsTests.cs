using System.Net;
using OfflineBearer.Tooling;
using OfflineBearer.Tests.Support;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tests.TokenEndpoint;

/// <summary>The endpoints besides the token endpoint that discovery gives the tool, and what it says when one is missing or unsafe.</summary>
public sealed class DiscoveredEndpointsTests
{
    [Fact]
    public async Task Discovery_gives_every_endpoint_the_server_names_and_is_asked_once()
    {
        using var server = new EndpointServer();
        var discovery = server.Client().Discovery;

        var metadata = await discovery.GetMetadataAsync(CancellationToken.None);
        await discovery.GetEndpointAsync(m => m.RevocationEndpoint, "revocation_endpoint", CancellationToken.None);

        Assert.Equal(
            new ServerMetadata(
                EndpointServer.TokenEndpoint, EndpointServer.AuthorizationEndpoint, EndpointServer.DeviceEndpoint, EndpointServer.RevocationEndpoint, EndpointServer.Authority),
            metadata);
        Assert.Equal(new Uri(EndpointServer.Authority + "/.well-known/openid-configuration"), Assert.Single(server.Requests).Uri);
    }

    [Fact]
    public async Task An_issuer_that_is_not_a_string_counts_as_not_named()
    {
        using var server = new EndpointServer();
        server.Discovery["issuer"] = 42;

        var metadata = await server.Client().Discovery.GetMetadataAsync(CancellationToken.None);

        Assert.Null(metadata.Issuer);
        Assert.Equal(EndpointServer.TokenEndpoint, metadata.TokenEndpoint);
    }

    [Theory]
    [InlineData("not a URL")]
    [InlineData("/relative/auth")]
    [InlineData("urn:example:auth")]
    public async Task An_endpoint_that_is_not_an_http_address_counts_as_not_named(string value)
    {
        using var server = new EndpointServer();
        server.Discovery["authorization_endpoint"] = value;
        var discovery = server.Client().Discovery;

        var error = await Assert.ThrowsAsync<OfflineBearerException>(
            () => discovery.GetEndpointAsync(m => m.AuthorizationEndpoint, "authorization_endpoint", CancellationToken.None));

        Assert.Contains("names no \"authorization_endpoint\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_optional_endpoint_that_is_not_a_string_counts_as_not_named_and_discovery_still_works()
    {
        using var server = new EndpointServer();
        server.Discovery["revocation_endpoint"] = 42;
        var discovery = server.Client().Discovery;

        var metadata = await discovery.GetMetadataAsync(CancellationToken.None);

        Assert.Equal(EndpointServer.TokenEndpoint, metadata.TokenEndpoint);
        Assert.Null(metadata.RevocationEndpoint);
        Assert.Equal(EndpointServer.AuthorizationEndpoint, metadata.AuthorizationEndpoint);
    }

    [Fact]
    public async Task With_a_configured_token_endpoint_the_message_says_discovery_was_not_asked()
    {
        using var server = new EndpointServer();
        var discovery = server.Client(o => o.TokenEndpoint = EndpointServer.TokenEndpoint).Discovery;

        var error = await Assert.ThrowsAsync<OfflineBearerException>(
            () => discovery.GetEndpointAsync(m => m.DeviceAuthorizationEndpoint, "device_authorization_endpoint", CancellationToken.None));

        Assert.Equal(
            $"The token server of OfflineBearer client '{EndpointServer.ClientName}' names no \"device_authorization_endpoint\" in its discovery " +
            "document (TokenEndpoint is set, so discovery was not asked).",
            error.Message);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task A_plain_http_endpoint_on_another_host_is_refused_while_RequireHttps_is_on()
    {
        using var server = new EndpointServer();
        server.Discovery["revocation_endpoint"] = "http://sso.test/realms/prod/revoke";
        var client = server.Client();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.RevokeAsync("rt", "refresh_token", CancellationToken.None));

        Assert.Equal(
            $"Discovery for OfflineBearer client '{EndpointServer.ClientName}' names a plain http revocation_endpoint (http://sso.test/realms/prod/revoke) and RequireHttps is on.",
            error.Message);
        Assert.Empty(server.Calls);
    }

    [Fact]
    public async Task A_plain_http_endpoint_is_used_when_the_user_turned_RequireHttps_off()
    {
        using var server = new EndpointServer();
        server.Discovery["revocation_endpoint"] = "http://sso.test/realms/prod/revoke";
        var client = server.Client(o => o.RequireHttps = false);

        await client.RevokeAsync("rt", "refresh_token", CancellationToken.None);

        Assert.Equal(new Uri("http://sso.test/realms/prod/revoke"), Assert.Single(server.Calls).Uri);
    }

    [Fact]
    public async Task A_plain_http_endpoint_on_loopback_is_allowed()
    {
        using var server = new EndpointServer();
        server.Discovery["device_authorization_endpoint"] = "http://127.0.0.1:5080/device";
        var discovery = server.Client().Discovery;

        var endpoint = await discovery.GetEndpointAsync(m => m.DeviceAuthorizationEndpoint, "device_authorization_endpoint", CancellationToken.None);

        Assert.Equal(new Uri("http://127.0.0.1:5080/device"), endpoint);
    }

    [Fact]
    public async Task A_failed_discovery_is_asked_again_by_the_next_request()
    {
        using var server = new EndpointServer();
        server.Discovery.Remove("token_endpoint");
        var discovery = server.Client().Discovery;

        var first = await Assert.ThrowsAsync<OfflineBearerException>(() => discovery.GetMetadataAsync(CancellationToken.None));
        server.Discovery["token_endpoint"] = EndpointServer.TokenEndpoint.AbsoluteUri;
        var second = await discovery.GetMetadataAsync(CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(EndpointServer.TokenEndpoint, second.TokenEndpoint);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task A_cancelled_discovery_is_asked_again_by_the_next_request()
    {
        using var server = new EndpointServer();
        var discovery = server.Client().Discovery;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => discovery.GetMetadataAsync(new CancellationToken(canceled: true)));
        var metadata = await discovery.GetMetadataAsync(CancellationToken.None);

        Assert.Equal(EndpointServer.TokenEndpoint, metadata.TokenEndpoint);
    }
}
