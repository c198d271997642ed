namespace OfflineBearer.Cli;

/// <summary>
/// The words of <c>--client-auth</c> for the library's <see cref="ClientAuthenticationMethod"/>, which the client settings
/// file keeps too: files written before the key, certificate and platform JWT methods hold only <c>basic</c> or <c>post</c>.
/// </summary>
internal static class ClientAuthenticationNames
{
    public const string Basic = "basic";
    public const string Post = "post";
    public const string PrivateKeyJwt = "private-key-jwt";
    public const string Tls = "tls";
    public const string SelfSignedTls = "self-signed-tls";
    public const string ClientAssertion = "client-assertion";

    public static readonly string[] All = [Basic, Post, PrivateKeyJwt, Tls, SelfSignedTls, ClientAssertion];

    /// <summary>The method a word names; anything else is basic, as the tool has always read its settings.</summary>
    public static ClientAuthenticationMethod Parse(string? name) => name switch
    {
        Post => ClientAuthenticationMethod.ClientSecretPost,
        PrivateKeyJwt => ClientAuthenticationMethod.PrivateKeyJwt,
        Tls => ClientAuthenticationMethod.TlsClientAuth,
        SelfSignedTls => ClientAuthenticationMethod.SelfSignedTlsClientAuth,
        ClientAssertion => ClientAuthenticationMethod.ClientAssertion,
        _ => ClientAuthenticationMethod.ClientSecretBasic,
    };

    public static string Name(ClientAuthenticationMethod method) => method switch
    {
        ClientAuthenticationMethod.ClientSecretPost => Post,
        ClientAuthenticationMethod.PrivateKeyJwt => PrivateKeyJwt,
        ClientAuthenticationMethod.TlsClientAuth => Tls,
        ClientAuthenticationMethod.SelfSignedTlsClientAuth => SelfSignedTls,
        ClientAuthenticationMethod.ClientAssertion => ClientAssertion,
        _ => Basic,
    };

    /// <summary>Whether the method proves the client with a secret (or, without one, makes it a public client).</summary>
    public static bool UsesSecret(ClientAuthenticationMethod method) =>
        method is ClientAuthenticationMethod.ClientSecretBasic or ClientAuthenticationMethod.ClientSecretPost;
}
