using System.Text.Json;
using OfflineBearer.Stores;

namespace OfflineBearer.Cli;

/// <summary>
/// The access token that <c>token</c> hands out, kept beside the refresh token (owner-only, written atomically), so that
/// repeated calls within its life cost the token server nothing. Each call is a new process: memory does not last.
/// </summary>
internal static class AccessTokenCache
{
    public const string Extension = ".access-token.json";

    /// <summary>The cached token and until when to hand it out; null when there is none, it is unreadable, or it is due for renewal.</summary>
    public static async Task<(string Token, DateTimeOffset UseUntil)?> ReadAsync(string path, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false));
            var root = document.RootElement;
            return root.TryGetProperty("access_token", out var token) && token.GetString() is { Length: > 0 } value
                && root.TryGetProperty("use_until", out var until) && until.TryGetInt64(out var milliseconds)
                && DateTimeOffset.FromUnixTimeMilliseconds(milliseconds) is var useUntil && time.GetUtcNow() < useUntil
                    ? (value, useUntil)
                    : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            // Missing or damaged: the holder gets a new token, which is all a cache miss costs.
            return null;
        }
    }

    /// <summary>Keeps <paramref name="accessToken"/> until <paramref name="useUntil"/>; a token of unknown life is not kept.</summary>
    public static Task WriteAsync(string path, string accessToken, DateTimeOffset? useUntil, CancellationToken cancellationToken) =>
        useUntil is { } until
            ? OwnerOnlyFile.WriteAsync(
                path,
                JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["access_token"] = accessToken, ["use_until"] = until.ToUnixTimeMilliseconds() },
                    CliJsonContext.Default.DictionaryStringObject),
                cancellationToken)
            : Task.CompletedTask;

    public static void Delete(string path) => OwnerOnlyFile.TryDelete(path);
}
