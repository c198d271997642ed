using System.Text.Json;

namespace OfflineBearer.Tests.Support;

/// <summary>Token endpoint bodies as servers send them.</summary>
internal static class TokenJson
{
    public static string Success(string accessToken, int? expiresIn = 300, string? refreshToken = null, string? scope = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["access_token"] = accessToken,
            ["expires_in"] = expiresIn,
            ["refresh_expires_in"] = 0,
            ["refresh_token"] = refreshToken,
            ["token_type"] = "Bearer",
            ["not-before-policy"] = 0,
            ["scope"] = scope ?? "profile offline_access email",
        }.Where(pair => pair.Value is not null).ToDictionary());

    public static string Error(string error, string description) =>
        JsonSerializer.Serialize(new { error, error_description = description });
}
