using System.Text.Json;
using OfflineBearer.Internal;

namespace OfflineBearer.Cli;

/// <summary>
/// What <c>login</c> and <c>get</c> remember beside a stored token (never the secret): the server, client id, client
/// authentication and scope, so <c>token</c> and <c>revoke</c> need no more than <c>--store DIR --client NAME</c>.
/// </summary>
internal sealed record ClientSettings(string Authority, string ClientId, string ClientAuthentication, string? Scope)
{
    public const string Extension = ".client.json";

    public static string PathOf(string directory, string clientName) =>
        new FileRefreshTokenStore(directory, TokenProtection.None).PathBeside(clientName, Extension);

    /// <summary>The settings remembered for the client, or null when none were (or they cannot be read).</summary>
    public static async Task<ClientSettings?> ReadAsync(string directory, string clientName, CancellationToken cancellationToken)
    {
        try
        {
            using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(PathOf(directory, clientName), cancellationToken).ConfigureAwait(false));
            var root = document.RootElement;
            return new ClientSettings(
                root.GetProperty("authority").GetString()!,
                root.GetProperty("client_id").GetString()!,
                root.GetProperty("client_auth").GetString()!,
                root.TryGetProperty("scope", out var scope) ? scope.GetString() : null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return null;
        }
    }

    public Task WriteAsync(string directory, string clientName, CancellationToken cancellationToken) =>
        OwnerOnlyFile.WriteAsync(
            PathOf(directory, clientName),
            JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string?>
            {
                ["authority"] = Authority,
                ["client_id"] = ClientId,
                ["client_auth"] = ClientAuthentication,
                ["scope"] = Scope,
            }, CliJsonContext.Default.DictionaryStringString),
            cancellationToken);
}
