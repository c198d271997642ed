namespace OfflineBearer;

/// <summary>
/// How a confidential client proves its identity to the token endpoint (RFC 6749 section 2.3.1, RFC 7523).
/// A public client (no <see cref="OfflineBearerOptions.ClientSecret"/> and a secret method) sends only <c>client_id</c>
/// in the form body.
/// </summary>
public enum ClientAuthenticationMethod
{
    /// <summary>The client id and secret, each form-url-encoded, in an <c>Authorization: Basic</c> header.</summary>
    ClientSecretBasic = 0,

    /// <summary>The client id and secret as <c>client_id</c> and <c>client_secret</c> in the form body.</summary>
    ClientSecretPost = 1,

    /// <summary>
    /// No shared secret: each token request carries a fresh JWT signed with the client's private key
    /// (<c>private_key_jwt</c>, RFC 7523; Keycloak's "Signed JWT"), from <see cref="OfflineBearerOptions.SigningKeyPath"/>
    /// or <see cref="OfflineBearerOptions.SigningKey"/>. The server holds only the public key.
    /// </summary>
    PrivateKeyJwt = 2,
}
