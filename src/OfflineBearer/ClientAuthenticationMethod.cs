namespace OfflineBearer;

/// <summary>
/// How a confidential client proves its identity to the token endpoint (RFC 6749 section 2.3.1).
/// A public client (no <see cref="OfflineBearerOptions.ClientSecret"/>) always sends only <c>client_id</c> in the form body.
/// </summary>
public enum ClientAuthenticationMethod
{
    /// <summary>The client id and secret, each form-url-encoded, in an <c>Authorization: Basic</c> header.</summary>
    ClientSecretBasic = 0,

    /// <summary>The client id and secret as <c>client_id</c> and <c>client_secret</c> in the form body.</summary>
    ClientSecretPost = 1,
}
