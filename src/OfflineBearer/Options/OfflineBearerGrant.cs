namespace OfflineBearer;

/// <summary>
/// The grant that gets a client a new token when it holds no refresh token (<see cref="OfflineBearerOptions.Grant"/>).
/// A refresh token the server issues with it is used as usual, except after a token exchange, which is run anew each time
/// so that the token follows its subject token.
/// </summary>
public enum OfflineBearerGrant
{
    /// <summary>The client's own credentials (<c>client_credentials</c>, RFC 6749 section 4.4); a public client can only refresh.</summary>
    ClientCredentials = 0,

    /// <summary>
    /// The platform's JWT is the grant (<c>urn:ietf:params:oauth:grant-type:jwt-bearer</c>, RFC 7523 section 2.1; Keycloak's
    /// JWT Authorization Grant), from <see cref="OfflineBearerOptions.ClientAssertionPath"/> or
    /// <see cref="OfflineBearerOptions.ClientAssertionProvider"/>; the client authenticates as its method says (a public
    /// client sends its id).
    /// </summary>
    JwtBearer = 1,

    /// <summary>
    /// A token exchanged for another (<c>urn:ietf:params:oauth:grant-type:token-exchange</c>, RFC 8693): the subject token
    /// from <see cref="OfflineBearerOptions.SubjectTokenClient"/>, <see cref="OfflineBearerOptions.SubjectTokenPath"/> or
    /// <see cref="OfflineBearerOptions.SubjectTokenProvider"/>. The exchanged token never outlives its subject token.
    /// </summary>
    TokenExchange = 2,
}
