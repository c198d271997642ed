using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>Offline tokens obtained out of band, as a runbook would, to configure as <see cref="OfflineBearerOptions.RefreshToken"/>.</summary>
internal static class OfflineTokens
{
    /// <summary>The confidential client's: client_credentials with offline_access. Counts as a token request.</summary>
    public static async Task<string> OfConfidentialClientAsync(TestTokenServer server)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, server.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["scope"] = $"offline_access {TestTokenServer.ApiScope}",
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestTokenServer.BasicClientId}:{TestTokenServer.BasicClientSecret}")));
        using var response = await http.SendAsync(request);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("refresh_token").GetString()!;
    }
}
