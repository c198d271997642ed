using System.Text;
using System.Text.Json;

namespace OfflineBearer.Tests.Support;

/// <summary>Unsigned JWTs for tests: the library reads claims and never checks signatures.</summary>
internal static class Jwt
{
    private static int s_serial;

    /// <summary>A JWT whose claims are <paramref name="claims"/> plus a unique jti, so every token differs.</summary>
    public static string Create(object claims)
    {
        var payload = JsonSerializer.SerializeToElement(claims);
        var withId = new Dictionary<string, JsonElement>();
        foreach (var property in payload.EnumerateObject())
        {
            withId[property.Name] = property.Value;
        }

        withId["jti"] = JsonSerializer.SerializeToElement($"t{Interlocked.Increment(ref s_serial)}");
        return $"{Encode("{\"alg\":\"RS256\",\"typ\":\"JWT\"}")}.{Encode(JsonSerializer.Serialize(withId))}.c2lnbmF0dXJl";
    }

    /// <summary>A JWT issued at <paramref name="issuedAt"/> that lives <paramref name="lifetime"/>.</summary>
    public static string Lasting(TimeSpan lifetime, DateTimeOffset issuedAt)
    {
        var iat = issuedAt.ToUnixTimeSeconds();
        return Create(new { sub = "svc", iat, exp = iat + (long)lifetime.TotalSeconds });
    }

    public static string Encode(string json) => Encode(Encoding.UTF8.GetBytes(json));

    public static string Encode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
