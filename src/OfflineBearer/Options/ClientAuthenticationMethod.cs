namespace OfflineBearer;

/// <summary>
/// How a confidential client proves its identity to the token endpoint (RFC 6749 section 2.3.1, RFC 7523).
/// A public client (no <see cref="OfflineBearerOptions.ClientSecret"/> and a secret method) sends only <c>client_id</c>
/// in the form body. A client that proves itself with a key or a certificate is confidential, although it has no secret.
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

    /// <summary>
    /// No shared secret: the client proves itself with its certificate in the TLS handshake with the token endpoint
    /// (<c>tls_client_auth</c>, RFC 8705 2.1; Keycloak's "X509 Certificate"). The server trusts the certificate's issuer
    /// and checks its subject. The certificate comes from <see cref="OfflineBearerOptions.ClientCertificatePath"/> or
    /// <see cref="OfflineBearerOptions.ClientCertificate"/>.
    /// </summary>
    TlsClientAuth = 3,

    /// <summary>
    /// As <see cref="TlsClientAuth"/>, with a self-signed certificate that the server holds for this client
    /// (<c>self_signed_tls_client_auth</c>, RFC 8705 2.2).
    /// </summary>
    SelfSignedTlsClientAuth = 4,

    /// <summary>
    /// No secret and no key of its own: the client sends a JWT that its platform issued and renews
    /// (<see cref="OfflineBearerOptions.ClientAssertionPath"/> or <see cref="OfflineBearerOptions.ClientAssertionProvider"/>)
    /// as <c>client_assertion</c> (RFC 7523 section 2.2; Keycloak's "Signed JWT - Federated", Entra ID's workload identity
    /// federation). The server trusts the platform's issuer and maps the JWT's subject to this client, so no
    /// <c>client_id</c> is sent (Keycloak 26.5 refuses one that differs from the subject); a server that wants it gets it
    /// from <see cref="OfflineBearerOptions.AdditionalParameters"/>.
    /// </summary>
    ClientAssertion = 5,
}
