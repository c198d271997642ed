namespace OfflineBearer.Internal;

/// <summary>The two grants OfflineBearer runs, as their RFC 6749 <c>grant_type</c> values.</summary>
internal static class GrantTypes
{
    public const string ClientCredentials = "client_credentials";
    public const string RefreshToken = "refresh_token";
}
