using System.Globalization;
using System.Text.Json;
using OfflineBearer.DPoP;

namespace OfflineBearer.TokenEndpoint;

/// <summary>
/// What a token endpoint answered (RFC 6749 sections 5.1 and 5.2). <see cref="Parse"/> never throws on hostile input:
/// anything that is not a usable answer comes back with <see cref="Problem"/> set.
/// </summary>
internal sealed class TokenResponse
{
    private TokenResponse()
    {
    }

    public string? AccessToken { get; private init; }

    public string? RefreshToken { get; private init; }

    /// <summary>Seconds, only when positive and a number (or a numeric string, as some servers send).</summary>
    public long? ExpiresIn { get; private init; }

    public string? Scope { get; private init; }

    /// <summary>Whether <c>token_type</c> is <c>DPoP</c>: the token is bound to the client's DPoP key.</summary>
    public bool IsDPoPBound { get; private init; }

    /// <summary>The OAuth error code of an error response.</summary>
    public string? Error { get; private init; }

    public string? ErrorDescription { get; private init; }

    /// <summary>Why the body is not a usable answer, in words safe to show; null when it is one.</summary>
    public string? Problem { get; private init; }

    public bool IsSuccess => Problem is null && Error is null && AccessToken is not null;

    /// <summary>This answer without its refresh token, for a grant whose refresh tokens are not kept.</summary>
    public TokenResponse WithoutRefreshToken() => new()
    {
        AccessToken = AccessToken,
        ExpiresIn = ExpiresIn,
        Scope = Scope,
        IsDPoPBound = IsDPoPBound,
        Error = Error,
        ErrorDescription = ErrorDescription,
        Problem = Problem,
    };

    /// <summary>Reads a body known to be JSON-ish; <paramref name="success"/> is whether the status code was 2xx.</summary>
    public static TokenResponse Parse(ReadOnlyMemory<byte> body, bool success)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException)
        {
            return new TokenResponse { Problem = "the body is not valid JSON" };
        }

        using (document)
        {
            try
            {
                return Read(document.RootElement, success);
            }
            catch (InvalidOperationException)
            {
                // JsonElement.GetString refuses invalid UTF-8 and lone surrogates, which the parser lets through.
                return new TokenResponse { Problem = "a string in the body is not valid UTF-8" };
            }
        }
    }

    private static TokenResponse Read(JsonElement root, bool success)
    {
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new TokenResponse { Problem = $"the body is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object" };
            }

            var error = ReadString(root, "error");
            if (error is not null || !success)
            {
                return new TokenResponse
                {
                    Error = error,
                    ErrorDescription = ReadString(root, "error_description"),
                    Problem = error is null ? "the error response has no \"error\" code" : null,
                };
            }

            var accessToken = ReadString(root, "access_token");
            if (string.IsNullOrEmpty(accessToken))
            {
                return new TokenResponse { Problem = "\"access_token\" is missing, empty or not a string" };
            }

            // It goes into an HTTP header: visible ASCII only (RFC 6750 2.1 is stricter; real servers are not).
            if (accessToken.AsSpan().ContainsAnyExceptInRange('!', '~'))
            {
                return new TokenResponse { Problem = "\"access_token\" has characters that cannot be sent in an HTTP header" };
            }

            // RFC 6749 7.1: a token is sent as its type says; Bearer, or DPoP when it is bound to the client's DPoP key
            // (RFC 9449 5). Servers vary the case.
            var tokenType = ReadString(root, "token_type");
            var dpopBound = tokenType is not null && tokenType.Equals(DPoPProofs.Scheme, StringComparison.OrdinalIgnoreCase);
            if (tokenType is not null && !dpopBound && !tokenType.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            {
                return new TokenResponse { Problem = $"\"token_type\" is \"{Truncate(tokenType)}\", but only Bearer and DPoP tokens are supported" };
            }

            return new TokenResponse
            {
                AccessToken = accessToken,
                RefreshToken = ReadString(root, "refresh_token") is { Length: > 0 } refresh ? refresh : null,
                ExpiresIn = ReadSeconds(root, "expires_in"),
                Scope = ReadString(root, "scope"),
                IsDPoPBound = dpopBound,
            };
        }
    }

    private static string? ReadString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? ReadSeconds(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return null;
        }

        long seconds = 0;
        var read = value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetInt64(out seconds),
            JsonValueKind.String => long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out seconds),
            _ => false,
        };
        return read && seconds > 0 ? seconds : null;
    }

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
