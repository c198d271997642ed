using System.Text.Json;
using OfflineBearer.Stores;

namespace OfflineBearer.Cli;

/// <summary>
/// What <c>login</c> and <c>get</c> remember beside a stored token (never the secret, a key or a password): the server,
/// client id, client authentication and scope, and the paths of a signing key or client certificate, so <c>token</c> and
/// <c>revoke</c> need no more than <c>--store DIR --client NAME</c>.
/// </summary>
/// <param name="Authority">The issuer URL.</param>
/// <param name="ClientId">The OAuth client id.</param>
/// <param name="ClientAuthentication">A word of <see cref="ClientAuthenticationNames"/>.</param>
/// <param name="Scope">The scope asked for, if one was.</param>
/// <param name="SigningKeyPath">The absolute path of the private_key_jwt key file.</param>
/// <param name="ClientCertificatePath">The absolute path of the client certificate file.</param>
/// <param name="ClientCertificateKeyPath">The absolute path of the certificate's key file, when it has one of its own.</param>
internal sealed record ClientSettings(
    string Authority,
    string ClientId,
    string ClientAuthentication,
    string? Scope,
    string? SigningKeyPath = null,
    string? ClientCertificatePath = null,
    string? ClientCertificateKeyPath = null)
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
                Optional(root, "scope"),
                Optional(root, "signing_key_path"),
                Optional(root, "client_certificate_path"),
                Optional(root, "client_certificate_key_path"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return null;
        }
    }

    public Task WriteAsync(string directory, string clientName, CancellationToken cancellationToken)
    {
        var fields = new Dictionary<string, string?>
        {
            ["authority"] = Authority,
            ["client_id"] = ClientId,
            ["client_auth"] = ClientAuthentication,
            ["scope"] = Scope,
        };

        // Written only when set, so a secret client's file stays byte for byte what older tools wrote and read.
        AddIfSet(fields, "signing_key_path", SigningKeyPath);
        AddIfSet(fields, "client_certificate_path", ClientCertificatePath);
        AddIfSet(fields, "client_certificate_key_path", ClientCertificateKeyPath);
        return OwnerOnlyFile.WriteAsync(
            PathOf(directory, clientName),
            JsonSerializer.SerializeToUtf8Bytes(fields, CliJsonContext.Default.DictionaryStringString),
            cancellationToken);
    }

    private static string? Optional(JsonElement root, string name) => root.TryGetProperty(name, out var value) ? value.GetString() : null;

    private static void AddIfSet(Dictionary<string, string?> fields, string name, string? value)
    {
        if (value is not null)
        {
            fields[name] = value;
        }
    }
}
