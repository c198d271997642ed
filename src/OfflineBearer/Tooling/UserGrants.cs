using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tooling;

/// <summary>
/// The grants that get a user's offline token in the first place, which only <c>offline-token</c> runs: the
/// authorization code of a browser login and the device code of the device flow. Nothing in the handler's library uses
/// this folder.
/// </summary>
internal static class UserGrants
{
    /// <summary>RFC 6749 4.1.3 with the RFC 7636 verifier.</summary>
    public static TokenGrant AuthorizationCode(string code, Uri redirectUri, string codeVerifier) => new TokenGrant(
        GrantTypes.AuthorizationCode,
        [new("code", code), new("redirect_uri", redirectUri.AbsoluteUri), new("code_verifier", codeVerifier)],
        code,
        codeVerifier);

    /// <summary>RFC 8628 3.4.</summary>
    public static TokenGrant DeviceCode(string deviceCode) =>
        new TokenGrant(GrantTypes.DeviceCode, [new("device_code", deviceCode)], deviceCode);
}
