using System.Net;
using System.Text.Json;

namespace OfflineBearer.IntegrationTests.Testing;

/// <summary>A token endpoint answer: the status and the JSON body.</summary>
internal sealed record TokenAnswer(HttpStatusCode Status, JsonElement Body)
{
    public string? Error => Body.TryGetProperty("error", out var error) ? error.GetString() : null;

    public string Description => Body.TryGetProperty("error_description", out var description) ? description.GetString() ?? string.Empty : string.Empty;

    public string AccessToken => Body.TryGetProperty("access_token", out var token)
        ? token.GetString()!
        : throw new Xunit.Sdk.XunitException($"No access token: HTTP {(int)Status} {Error} {Description}");

    public string? RefreshToken => Body.TryGetProperty("refresh_token", out var token) ? token.GetString() : null;

    public string? TokenType => Body.TryGetProperty("token_type", out var type) ? type.GetString() : null;

    public JsonElement Claims => TokenEndpointCalls.ClaimsOf(AccessToken);
}
