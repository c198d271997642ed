using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace OfflineBearer.IntegrationTests;

/// <summary>
/// Raw HTTP to a development server for the DPoP tests, as a DPoP client would send it: token requests with an optional
/// <c>DPoP</c> header, API calls with a chosen scheme and proof. No library in between, so every header is the test's.
/// </summary>
internal sealed class DevServerDPoPClient(TestTokenServer server) : IDisposable
{
    public const string OfflineScope = "offline_access api";

    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

    public Uri Ping { get; } = new(server.ApiUrl, "ping");

    public Task<Answer> ClientCredentialsAsync(params string[] proofs) =>
        TokenAsync(
            new() { ["grant_type"] = "client_credentials", ["scope"] = OfflineScope },
            proofs,
            basic: $"{TestTokenServer.BasicClientId}:{TestTokenServer.BasicClientSecret}");

    public Task<Answer> RefreshConfidentialAsync(string refreshToken, params string[] proofs) =>
        TokenAsync(
            new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken },
            proofs,
            basic: $"{TestTokenServer.BasicClientId}:{TestTokenServer.BasicClientSecret}");

    /// <summary>The public client's password grant, as a user gets an offline token.</summary>
    public Task<Answer> PasswordAsync(params string[] proofs) =>
        TokenAsync(
            new()
            {
                ["grant_type"] = "password",
                ["client_id"] = TestTokenServer.PublicClientId,
                ["username"] = TestTokenServer.UserName,
                ["password"] = TestTokenServer.Password,
                ["scope"] = OfflineScope,
            },
            proofs);

    public Task<Answer> RefreshPublicAsync(string refreshToken, params string[] proofs) =>
        TokenAsync(
            new() { ["grant_type"] = "refresh_token", ["client_id"] = TestTokenServer.PublicClientId, ["refresh_token"] = refreshToken },
            proofs);

    /// <summary><c>GET ping</c> with <c>Authorization: {scheme} {token}</c> and a <c>DPoP</c> header per proof.</summary>
    public async Task<HttpResponseMessage> PingAsync(string scheme, string token, params string[] proofs)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Ping);
        request.Headers.Authorization = new AuthenticationHeaderValue(scheme, token);
        foreach (var proof in proofs)
        {
            request.Headers.TryAddWithoutValidation("DPoP", proof);
        }

        return await _http.SendAsync(request);
    }

    public async Task<HttpResponseMessage> PostAsync(Uri endpoint, Dictionary<string, string> form, string? basic = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new FormUrlEncodedContent(form) };
        if (basic is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(basic)));
        }

        return await _http.SendAsync(request);
    }

    /// <summary>The claims of a JWT, as the API's clients would read them.</summary>
    public static JsonElement PayloadOf(string jwt)
    {
        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.Split('.')[1]));
        return payload.RootElement.Clone();
    }

    /// <summary>The scheme and <c>error</c> of a 401's challenge, e.g. ("DPoP", "invalid_dpop_proof").</summary>
    public static (string? Scheme, string? Error) ChallengeOf(HttpResponseMessage response)
    {
        var challenge = response.Headers.WwwAuthenticate.FirstOrDefault();
        var error = challenge?.Parameter?.Split(',')
            .Select(part => part.Trim().Split('=', 2))
            .Where(pair => pair.Length == 2 && pair[0] == "error")
            .Select(pair => pair[1].Trim('"'))
            .FirstOrDefault();
        return (challenge?.Scheme, error);
    }

    public static string? NonceOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues("DPoP-Nonce", out var values) ? values.Single() : null;

    public void Dispose() => _http.Dispose();

    private async Task<Answer> TokenAsync(Dictionary<string, string> form, string[] proofs, string? basic = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, server.TokenEndpoint) { Content = new FormUrlEncodedContent(form) };
        if (basic is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(basic)));
        }

        foreach (var proof in proofs)
        {
            request.Headers.TryAddWithoutValidation("DPoP", proof);
        }

        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body.Length == 0 ? "{}" : body);
        return new Answer(response.StatusCode, json.RootElement.Clone(), NonceOf(response));
    }

    /// <summary>A token endpoint answer: status, JSON body, and the <c>DPoP-Nonce</c> header if any.</summary>
    internal sealed record Answer(HttpStatusCode Status, JsonElement Json, string? Nonce)
    {
        public string? String(string name) => Json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        public string AccessToken => String("access_token") ?? throw new InvalidOperationException($"No access token: HTTP {(int)Status} {Json}");

        public string RefreshToken => String("refresh_token") ?? throw new InvalidOperationException($"No refresh token: HTTP {(int)Status} {Json}");
    }
}
