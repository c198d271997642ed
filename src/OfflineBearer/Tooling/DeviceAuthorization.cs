using System.Text.Json;

namespace OfflineBearer.Tooling;

/// <summary>
/// A device authorization response (RFC 8628 section 3.2): what the user is shown, and what the client polls with.
/// </summary>
internal sealed class DeviceAuthorization
{
    /// <summary>RFC 8628 3.2: without an <c>interval</c> the client waits 5 seconds between polls.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    private DeviceAuthorization(string deviceCode, string userCode, Uri verificationUri, TimeSpan expiresIn, TimeSpan interval)
    {
        DeviceCode = deviceCode;
        UserCode = userCode;
        VerificationUri = verificationUri;
        ExpiresIn = expiresIn;
        Interval = interval;
    }

    /// <summary>The code the client polls with; a credential, never shown.</summary>
    public string DeviceCode { get; }

    /// <summary>The code the user types at <see cref="VerificationUri"/>.</summary>
    public string UserCode { get; }

    public Uri VerificationUri { get; }

    /// <summary>The verification URI with the user code in it, when the server gives one.</summary>
    public Uri? VerificationUriComplete { get; private init; }

    public TimeSpan ExpiresIn { get; }

    public TimeSpan Interval { get; }

    /// <summary>The response, or null when a required field is missing or unusable.</summary>
    public static DeviceAuthorization? Parse(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || ReadString(root, "device_code") is not { Length: > 0 } deviceCode
                || ReadString(root, "user_code") is not { Length: > 0 } userCode
                // "verification_url" is what Google's endpoint sends.
                || (ReadUri(root, "verification_uri") ?? ReadUri(root, "verification_url")) is not { } verificationUri
                || ReadSeconds(root, "expires_in") is not { } expiresIn)
            {
                return null;
            }

            return new DeviceAuthorization(
                deviceCode,
                userCode,
                verificationUri,
                expiresIn,
                ReadSeconds(root, "interval") ?? DefaultInterval)
            {
                VerificationUriComplete = ReadUri(root, "verification_uri_complete"),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Never prints the device code.</summary>
    public override string ToString() => $"DeviceAuthorization for user code {UserCode} (device code redacted)";

    private static string? ReadString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static Uri? ReadUri(JsonElement root, string name) =>
        Uri.TryCreate(ReadString(root, name), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri
            : null;

    private static TimeSpan? ReadSeconds(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : null;
}
