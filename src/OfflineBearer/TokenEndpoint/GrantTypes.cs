namespace OfflineBearer.TokenEndpoint;

/// <summary>The grants OfflineBearer runs, as their <c>grant_type</c> values (RFC 6749, RFC 8628, RFC 7523, RFC 8693).</summary>
internal static class GrantTypes
{
    public const string ClientCredentials = "client_credentials";
    public const string RefreshToken = "refresh_token";
    public const string AuthorizationCode = "authorization_code";
    public const string DeviceCode = "urn:ietf:params:oauth:grant-type:device_code";
    public const string JwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    public const string TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
}
