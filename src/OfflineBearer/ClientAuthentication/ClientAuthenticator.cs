using System.Net.Http.Headers;
using System.Text;
using OfflineBearer.Options;

namespace OfflineBearer.ClientAuthentication;

/// <summary>
/// How one client proves itself at its token server, decided here and nowhere else: a secret (in the Basic header or
/// the form), a signed JWT (<c>private_key_jwt</c>, one per try), a certificate in the TLS handshake (its id alone in the
/// form), or nothing (a public client, its id alone). The validator, discovery and the endpoint client ask it.
/// </summary>
internal sealed class ClientAuthenticator
{
    private const string ClientAssertionTypeField = "client_assertion_type";
    private const string ClientAssertionField = "client_assertion";
    private const string JwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    private readonly OfflineBearerOptions _options;
    private readonly TimeProvider _time;
    private readonly ClientSigningKey? _signingKey;

    public ClientAuthenticator(ClientContext client)
    {
        _options = client.Options;
        _time = client.Time;
        IsPublicClient = IsPublic(_options);
        if (_options.ClientAuthentication == ClientAuthenticationMethod.PrivateKeyJwt)
        {
            _signingKey = ClientSigningKey.Load(client.Name, _options);
        }
        else if (!IsPublicClient && _options.ClientAuthentication == ClientAuthenticationMethod.ClientSecretBasic)
        {
            Header = BasicCredentials(_options.ClientId!, _options.ClientSecret!);
        }
    }

    /// <summary>A client with neither a secret, a key nor a certificate to prove itself: it sends only its id and can only refresh.</summary>
    public bool IsPublicClient { get; }

    /// <summary>The Basic header of <c>client_secret_basic</c>, else null.</summary>
    public AuthenticationHeaderValue? Header { get; }

    /// <summary>Whether each try carries a client assertion, whose audience the caller finds (<see cref="AssertionFields"/>).</summary>
    public bool SignsAssertions => _signingKey is not null;

    /// <summary>Whether the options make a client prove itself with its certificate rather than a secret or a key.</summary>
    public static bool UsesCertificate(OfflineBearerOptions options) =>
        options.ClientAuthentication is ClientAuthenticationMethod.TlsClientAuth or ClientAuthenticationMethod.SelfSignedTlsClientAuth;

    /// <summary>Whether the options leave a client nothing to prove itself with.</summary>
    public static bool IsPublic(OfflineBearerOptions options) =>
        options.ClientAuthentication != ClientAuthenticationMethod.PrivateKeyJwt && !UsesCertificate(options) && string.IsNullOrEmpty(options.ClientSecret);

    /// <summary>RFC 6749 section 2.3.1: id and secret are form-url-encoded before they are joined and base64-encoded.</summary>
    public static AuthenticationHeaderValue BasicCredentials(string clientId, string clientSecret)
    {
        var pair = $"{FormUrl.Encode(clientId)}:{FormUrl.Encode(clientSecret)}";
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
    }

    /// <summary>The form fields of every try: the id, and the secret of <c>client_secret_post</c>; none with the Basic header.</summary>
    public void AddFormFields(List<KeyValuePair<string, string>> form)
    {
        if (Header is not null)
        {
            return;
        }

        form.Add(new("client_id", _options.ClientId!));
        if (_signingKey is null && !UsesCertificate(_options) && !IsPublicClient)
        {
            form.Add(new("client_secret", _options.ClientSecret!));
        }
    }

    /// <summary>A client assertion signed for this try alone: a server may refuse an assertion's <c>jti</c> a second time.</summary>
    public KeyValuePair<string, string>[] AssertionFields(string audience) =>
    [
        new(ClientAssertionTypeField, JwtBearerAssertionType),
        new(ClientAssertionField, _signingKey!.CreateAssertion(_options.ClientId!, audience, _time.GetUtcNow())),
    ];

    /// <summary>What to check when the server refuses this client's credentials (<c>invalid_client</c>, <c>unauthorized_client</c>).</summary>
    public string RefusalAdvice() => _signingKey is { } key
        ? $"The server does not accept this client's signed JWT: check ClientId, that the client is set to authenticate with a signed JWT and that the server holds the public key of SigningKey (kid {key.KeyId}, {key.Algorithm})."
        : UsesCertificate(_options)
            ? $"The server does not accept this client's certificate: check ClientId, that the client is set to authenticate with {(_options.ClientAuthentication == ClientAuthenticationMethod.TlsClientAuth ? "a CA-issued certificate (tls_client_auth) and the subject it expects" : "its registered self-signed certificate (self_signed_tls_client_auth)")}, that the token endpoint is https and asks for client certificates, and that ClientCertificatePath or ClientCertificate is the certificate the server holds."
            : "The server does not accept this client's credentials: check ClientId, ClientSecret and ClientAuthentication.";

    /// <summary>
    /// Every spelling of this client's secret a server may echo: the secret, the Basic credential, and <c>id:secret</c>
    /// unencoded (a server that decodes the Basic credential may echo that).
    /// </summary>
    public string?[] Secrets() =>
        [_options.ClientSecret, Header?.Parameter, string.IsNullOrEmpty(_options.ClientSecret) ? null : $"{_options.ClientId}:{_options.ClientSecret}"];
}
