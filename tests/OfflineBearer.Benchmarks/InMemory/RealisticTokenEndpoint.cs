using System.Globalization;
using System.Net;
using System.Text;

namespace OfflineBearer.Benchmarks.InMemory;

/// <summary>
/// A token endpoint that answers every request with one cached, realistic Keycloak-style token response: a JWT access
/// token of about 900 characters (RS256 header, the usual claims, a 2048-bit signature's length), a refresh token,
/// <c>expires_in</c>, <c>refresh_expires_in</c> and <c>scope</c>. The body's bytes are made once per process and
/// shared by every instance; each answer is a new message over them (the library disposes what it reads), so the
/// endpoint's own cost is two small objects and a header. The token expires an hour after the process started.
/// </summary>
internal sealed class RealisticTokenEndpoint : HttpMessageHandler
{
    /// <summary>An opaque refresh token of typical length.</summary>
    public static readonly string RefreshToken = Base64Url(new string('r', 300));

    public static readonly string AccessToken = Jwt(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

    private static readonly byte[] Body = Encoding.UTF8.GetBytes(string.Create(
        CultureInfo.InvariantCulture,
        $$"""{"access_token":"{{AccessToken}}","expires_in":3600,"refresh_expires_in":2592000,"refresh_token":"{{RefreshToken}}","token_type":"Bearer","not-before-policy":0,"session_state":"5f8b7a52-3f0e-4a59-9a7e-2c1d4e6f8a90","scope":"openid profile email offline_access api"}"""));

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent(Body);
        content.Headers.ContentType = new("application/json");
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
    }

    private static string Jwt(long issuedAt)
    {
        var header = Base64Url("""{"alg":"RS256","typ":"JWT","kid":"Zq3aV1x9oV2cN7pQ0mLk4tYh8bEw6uRj5sDf2gHi1Jk"}""");
        var payload = Base64Url(string.Create(
            CultureInfo.InvariantCulture,
            $$"""{"exp":{{issuedAt + 3600}},"iat":{{issuedAt}},"jti":"onrtcc:6d1f0c3e-8b8a-4f57-9c2a-4e0b7d9a1f23","iss":"https://sso.example.org/realms/prod","aud":["inventory-api","account"],"sub":"3b0f8a4e-2c71-4d9e-a6b5-0f1e2d3c4b5a","typ":"Bearer","azp":"inventory-gateway","sid":"5f8b7a52-3f0e-4a59-9a7e-2c1d4e6f8a90","scope":"openid profile email offline_access api"}"""));

        // An RS256 signature is 256 bytes: 342 base64url characters.
        var signature = Base64Url(new string('s', 256));
        return $"{header}.{payload}.{signature}";
    }

    private static string Base64Url(string text) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
