using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace OfflineBearer.IntegrationTests.Testing;

/// <summary>Raw form posts to a <see cref="TestTokenServer"/>'s token endpoint, as the library sends them, and the reading of what comes back.</summary>
internal static class TokenEndpointCalls
{
    public const string JwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    public const string TokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange";
    public const string JwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    public const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";

    /// <summary>Posts <paramref name="form"/> (names may repeat) with an optional DPoP proof.</summary>
    public static async Task<TokenAnswer> PostAsync(TestTokenServer server, IEnumerable<(string Name, string Value)> form, string? dpopProof = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, server.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent(form.Select(field => new KeyValuePair<string, string>(field.Name, field.Value))),
        };
        if (dpopProof is not null)
        {
            request.Headers.Add("DPoP", dpopProof);
        }

        using var response = await http.SendAsync(request);
        return new TokenAnswer(response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    /// <summary>The fields that authenticate <see cref="TestTokenServer.PostClientId"/> (client_secret_post).</summary>
    public static IEnumerable<(string, string)> PostClient =>
        [("client_id", TestTokenServer.PostClientId), ("client_secret", TestTokenServer.PostClientSecret)];

    /// <summary>The fields of a client assertion that is a workload token, without <c>client_id</c>.</summary>
    public static IEnumerable<(string, string)> WorkloadAssertion(string token) =>
        [("client_assertion_type", JwtBearerAssertionType), ("client_assertion", token)];

    /// <summary>An access token of the public client's user, <see cref="TestTokenServer.UserName"/>, with the scope <c>api</c>.</summary>
    public static async Task<string> UserAccessTokenAsync(TestTokenServer server)
    {
        var answer = await PostAsync(server,
        [
            ("grant_type", "password"), ("client_id", TestTokenServer.PublicClientId),
            ("username", TestTokenServer.UserName), ("password", TestTokenServer.Password), ("scope", TestTokenServer.ApiScope),
        ]);
        return answer.AccessToken;
    }

    /// <summary>The payload of a JWT, unverified.</summary>
    public static JsonElement ClaimsOf(string jwt) =>
        JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.Split('.')[1])).RootElement.Clone();

    /// <summary>The header of a JWT.</summary>
    public static JsonElement HeaderOf(string jwt) =>
        JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.Split('.')[0])).RootElement.Clone();

    /// <summary>A claim that may be a string or an array, as a list.</summary>
    public static IReadOnlyList<string> Strings(JsonElement claims, string name) =>
        !claims.TryGetProperty(name, out var value) ? []
        : value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray().Select(item => item.GetString()!)]
        : [value.GetString()!];

    /// <summary>The scopes of an access token's <c>scope</c> claim, in order.</summary>
    public static IReadOnlyList<string> ScopesOf(JsonElement claims) =>
        claims.TryGetProperty("scope", out var scope) ? scope.GetString()!.Split(' ') : [];

    /// <summary>The same header and payload signed by another RSA key: a token the issuer never made.</summary>
    public static string Resigned(string jwt)
    {
        using var other = System.Security.Cryptography.RSA.Create(2048);
        var signed = jwt[..jwt.LastIndexOf('.')];
        var signature = other.SignData(Encoding.ASCII.GetBytes(signed), System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        return $"{signed}.{Base64UrlEncoder.Encode(signature)}";
    }
}
