using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using OfflineBearer.ClientAuthentication;

namespace OfflineBearer.TokenEndpoint;

/// <summary>
/// Cleans text a token server sent back (an error code or description) before it goes into an exception or a log: a
/// server or proxy may echo what it was sent, raw, form-url-encoded, JSON-escaped or inside the Basic credential. Every
/// such spelling of every credential of the request is replaced, and the text is capped, after redaction, so a cut
/// never leaves part of a secret.
/// </summary>
internal static class Redaction
{
    public const string Marker = "[redacted]";

    /// <summary>Longer than any description a person reads; an echo of a whole request is not one.</summary>
    public const int MaxLength = 400;

    /// <summary>Returns <paramref name="text"/> without any spelling of <paramref name="secrets"/>, at most <see cref="MaxLength"/> characters.</summary>
    public static string? Clean(string? text, params ReadOnlySpan<string?> secrets)
    {
        if (text is null)
        {
            return null;
        }

        var spellings = new List<string>();
        foreach (var secret in secrets)
        {
            if (!string.IsNullOrEmpty(secret))
            {
                AddSpellings(secret, spellings);
            }
        }

        // Longest first, so a spelling that contains another is replaced whole.
        foreach (var spelling in spellings.Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length))
        {
            text = text.Replace(spelling, Marker, StringComparison.OrdinalIgnoreCase);
        }

        return text.Length <= MaxLength ? text : string.Concat(text.AsSpan(0, MaxLength), "…");
    }

    private static void AddSpellings(string secret, List<string> spellings)
    {
        spellings.Add(secret);
        spellings.Add(Uri.EscapeDataString(secret));
        spellings.Add(FormUrl.Encode(secret));
        spellings.Add(JsonEncodedText.Encode(secret).Value);
        spellings.Add(JsonEncodedText.Encode(secret, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).Value);
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(secret));
        spellings.Add(base64);
        spellings.Add(base64.TrimEnd('=').Replace('+', '-').Replace('/', '_'));
    }
}
