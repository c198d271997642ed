using System.Globalization;
using System.Text.Json.Nodes;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Cli;

/// <summary>What <c>login</c> and <c>get</c> say about the tokens they got; the refresh token only when asked for.</summary>
internal static class GrantReport
{
    public static void Write(CommandOutput output, ClientSession session, TokenResponse response, string grant, DateTimeOffset sentAt, string kept, bool printRefreshToken)
    {
        var lifetime = TokenLifetime.Read(response.AccessToken!, response.ExpiresIn, sentAt);
        var expiresAt = lifetime is { } life ? sentAt + life : (DateTimeOffset?)null;
        var refresh = response.RefreshToken is null ? "no refresh token" : "a refresh token";
        output.Say(
            $"Got an access token for client '{session.ClientName}' ({grant}; scope: {response.Scope ?? "as the server chose"}; " +
            $"expires {Describe(expiresAt)}) and {refresh}: {kept}.");

        if (output.IsJson)
        {
            var document = new JsonObject
            {
                ["client"] = session.ClientName,
                ["grant"] = grant,
                ["token_type"] = "Bearer",
                ["access_token"] = response.AccessToken,
                ["expires_at"] = expiresAt?.ToString("O", CultureInfo.InvariantCulture),
                ["scope"] = response.Scope,
                ["refresh_token_issued"] = response.RefreshToken is not null,
                ["stored"] = session.Files is not null ? "file" : session.SharedStore is not null ? "redis" : null,
            };
            if (printRefreshToken)
            {
                document["refresh_token"] = response.RefreshToken;
            }

            output.Json(document);
        }
        else if (printRefreshToken && response.RefreshToken is { } refreshToken)
        {
            output.Data(refreshToken);
        }
    }

    public static string Describe(DateTimeOffset? moment) =>
        moment?.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? "at a time the server did not say";
}
