using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests.Testing;

/// <summary>
/// <see cref="TestTokenServer.SetClientSecretAsync"/>: a secret rotated on the server mid-run, as an administrator does it.
/// Each test starts its own server, so the shared ones keep their secrets; in the shared collection, so it never runs
/// beside a test that counts on timing.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class ClientSecretRotationTests
{
    private const string ClientId = "rotated-client";

    [Fact]
    public async Task After_a_rotation_the_old_secret_is_refused_and_the_new_one_works_for_new_grants_and_refreshes()
    {
        await using var server = await TestTokenServer.StartAsync(o =>
        {
            o.Clients.Add(ClientId);
            o.TimeProvider = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
            o.ConfigureLogging = _ => { };
        });
        using var http = new HttpClient();
        var initial = TestTokenServer.SecretOf(ClientId);
        var (status, refreshToken) = await ClientCredentialsAsync(http, server, initial);
        Assert.Equal(HttpStatusCode.OK, status);

        await server.SetClientSecretAsync(ClientId, "rotated-secret");

        Assert.Equal(HttpStatusCode.Unauthorized, (await ClientCredentialsAsync(http, server, initial)).Status);
        Assert.Equal(HttpStatusCode.OK, (await ClientCredentialsAsync(http, server, "rotated-secret")).Status);
        Assert.Equal(HttpStatusCode.OK, await RefreshAsync(http, server, refreshToken!, "rotated-secret")); // a grant from before stays
        Assert.Equal(["invalid_client", null, null], server.Ledger.TokenRequestLog.Skip(1).Select(request => request.Error));
        Assert.Equal(initial, TestTokenServer.SecretOf(ClientId));
        var options = new OfflineBearerOptions();
        server.ClientOptions(ClientId)(options);
        Assert.Equal("rotated-secret", options.ClientSecret);
    }

    [Fact]
    public async Task Only_a_client_with_a_secret_has_one_to_rotate()
    {
        await using var server = await TestTokenServer.StartAsync(o => o.ConfigureLogging = _ => { });

        var noSecret = await Assert.ThrowsAsync<InvalidOperationException>(() => server.SetClientSecretAsync(TestTokenServer.SignedJwtClientId, "x"));
        Assert.Contains("private_key_jwt", noSecret.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.SetClientSecretAsync(TestTokenServer.PublicClientId, "x"));
        var unknown = await Assert.ThrowsAsync<InvalidOperationException>(() => server.SetClientSecretAsync("nobody", "x"));
        Assert.Contains("no client 'nobody'", unknown.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => server.SetClientSecretAsync(TestTokenServer.BasicClientId, ""));
    }

    private static async Task<(HttpStatusCode Status, string? RefreshToken)> ClientCredentialsAsync(HttpClient http, TestTokenServer server, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, server.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = TestTokenServer.OfflineScope }),
        };
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{ClientId}:{secret}")));
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, body.TryGetProperty("refresh_token", out var token) ? token.GetString() : null);
    }

    private static async Task<HttpStatusCode> RefreshAsync(HttpClient http, TestTokenServer server, string refreshToken, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, server.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken }),
        };
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{ClientId}:{secret}")));
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
