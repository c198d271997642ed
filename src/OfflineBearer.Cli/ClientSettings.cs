using System.Text.Json;
using OfflineBearer.Stores;

namespace OfflineBearer.Cli;

/// <summary>
/// What <c>login</c> and <c>get</c> remember beside a stored token (never the secret, a key, a password, an assertion or a
/// subject token): the server, client id, client authentication and scope, the paths of a signing key, client
/// certificate or platform JWT, the grant with its subject token's path and types, and the resources and audience asked
/// for, so <c>token</c> and <c>revoke</c> need no more than <c>--store DIR --client NAME</c>. Its list of resources makes
/// its equality that of a record holding a reference: compare the fields.
/// </summary>
/// <param name="Authority">The issuer URL.</param>
/// <param name="ClientId">The OAuth client id.</param>
/// <param name="ClientAuthentication">A word of <see cref="ClientAuthenticationNames"/>.</param>
/// <param name="Scope">The scope asked for, if one was.</param>
/// <param name="SigningKeyPath">The absolute path of the private_key_jwt key file.</param>
/// <param name="ClientCertificatePath">The absolute path of the client certificate file.</param>
/// <param name="ClientCertificateKeyPath">The absolute path of the certificate's key file, when it has one of its own.</param>
/// <param name="ClientAssertionPath">The absolute path of the platform's JWT file, the client's proof or the jwt-bearer grant's assertion.</param>
/// <param name="Grant">A word of <see cref="GrantNames"/>; null for client credentials, which older files mean.</param>
/// <param name="SubjectTokenPath">The absolute path of the file whose token a token exchange trades.</param>
/// <param name="SubjectTokenType">The <c>subject_token_type</c> of a token exchange.</param>
/// <param name="RequestedTokenType">The <c>requested_token_type</c> of a token exchange, if one was asked for.</param>
/// <param name="Resource">The resources (RFC 8707) asked for; null for none.</param>
/// <param name="Audience">The audience asked for, if one was.</param>
internal sealed record ClientSettings(
    string Authority,
    string ClientId,
    string ClientAuthentication,
    string? Scope,
    string? SigningKeyPath = null,
    string? ClientCertificatePath = null,
    string? ClientCertificateKeyPath = null,
    string? ClientAssertionPath = null,
    string? Grant = null,
    string? SubjectTokenPath = null,
    string? SubjectTokenType = null,
    string? RequestedTokenType = null,
    IReadOnlyList<string>? Resource = null,
    string? Audience = null)
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
                Optional(root, "client_certificate_key_path"),
                Optional(root, "client_assertion_path"),
                Optional(root, "grant"),
                Optional(root, "subject_token_path"),
                Optional(root, "subject_token_type"),
                Optional(root, "requested_token_type"),
                root.TryGetProperty("resource", out var resource) ? [.. resource.EnumerateArray().Select(uri => uri.GetString()!)] : null,
                Optional(root, "audience"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return null;
        }
    }

    public Task WriteAsync(string directory, string clientName, CancellationToken cancellationToken)
    {
        var fields = new Dictionary<string, object?>
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
        AddIfSet(fields, "client_assertion_path", ClientAssertionPath);
        AddIfSet(fields, "grant", Grant);
        AddIfSet(fields, "subject_token_path", SubjectTokenPath);
        AddIfSet(fields, "subject_token_type", SubjectTokenType);
        AddIfSet(fields, "requested_token_type", RequestedTokenType);
        if (Resource is { Count: > 0 })
        {
            fields["resource"] = Resource.ToArray();
        }

        AddIfSet(fields, "audience", Audience);
        return OwnerOnlyFile.WriteAsync(
            PathOf(directory, clientName),
            JsonSerializer.SerializeToUtf8Bytes(fields, CliJsonContext.Default.DictionaryStringObject),
            cancellationToken);
    }

    private static string? Optional(JsonElement root, string name) => root.TryGetProperty(name, out var value) ? value.GetString() : null;

    private static void AddIfSet(Dictionary<string, object?> fields, string name, string? value)
    {
        if (value is not null)
        {
            fields[name] = value;
        }
    }
}
