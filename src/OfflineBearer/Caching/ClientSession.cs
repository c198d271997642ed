using OfflineBearer.Options;
using OfflineBearer.Refresh;

namespace OfflineBearer.Caching;

/// <summary>
/// One client's parts built from one version of its options: the endpoint client and grant (in the redeemer), the refresh
/// token and the token source. Options reloaded from configuration make a new session at the next token request; it
/// keeps the refresh token (and DPoP key) only while the client stays the same client.
/// </summary>
/// <param name="Client">The client, with this version of its options.</param>
/// <param name="Redeemer">Its grants.</param>
/// <param name="RefreshTokens">Its refresh token.</param>
/// <param name="Source">Where its tokens come from.</param>
internal sealed record ClientSession(ClientContext Client, Redeemer Redeemer, RefreshTokenKeeper RefreshTokens, ITokenSource Source)
{
    /// <summary>
    /// Whether <paramref name="options"/> describe the same client at the same server with the same grant: then tokens and
    /// refresh tokens carry over, and a new secret, key, certificate or assertion source is just a new way to prove it.
    /// Otherwise a refresh token of this session must never reach the other client.
    /// </summary>
    public bool IsSameClient(OfflineBearerOptions options)
    {
        var mine = Client.Options;
        return string.Equals(mine.Authority?.TrimEnd('/'), options.Authority?.TrimEnd('/'), StringComparison.Ordinal)
            && mine.TokenEndpoint == options.TokenEndpoint
            && string.Equals(mine.ClientId, options.ClientId, StringComparison.Ordinal)
            && mine.Grant == options.Grant
            && string.Equals(mine.SubjectTokenClient, options.SubjectTokenClient, StringComparison.Ordinal);
    }

    /// <summary>Never prints the options.</summary>
    public override string ToString() => $"ClientSession {Client.Name}";
}
