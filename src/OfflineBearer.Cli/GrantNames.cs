namespace OfflineBearer.Cli;

/// <summary>
/// The words of <c>--grant</c> for the library's <see cref="OfflineBearerGrant"/>, which the client settings file keeps
/// too: files written before the workload grants have none, and mean client credentials.
/// </summary>
internal static class GrantNames
{
    public const string ClientCredentials = "client-credentials";
    public const string JwtBearer = "jwt-bearer";
    public const string TokenExchange = "token-exchange";

    public static readonly string[] All = [ClientCredentials, JwtBearer, TokenExchange];

    /// <summary>The grant a word names; anything else (no word at all) is client credentials, as the tool always ran.</summary>
    public static OfflineBearerGrant Parse(string? name) => name switch
    {
        JwtBearer => OfflineBearerGrant.JwtBearer,
        TokenExchange => OfflineBearerGrant.TokenExchange,
        _ => OfflineBearerGrant.ClientCredentials,
    };

    public static string Name(OfflineBearerGrant grant) => grant switch
    {
        OfflineBearerGrant.JwtBearer => JwtBearer,
        OfflineBearerGrant.TokenExchange => TokenExchange,
        _ => ClientCredentials,
    };
}
