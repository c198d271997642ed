namespace OfflineBearer.ClientAuthentication;

/// <summary>application/x-www-form-urlencoded, as <see cref="FormUrlEncodedContent"/> writes it: space is '+'.</summary>
internal static class FormUrl
{
    public static string Encode(string value) => Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal);
}
