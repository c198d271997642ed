using System.Net.Http.Headers;
using System.Text;
using OfflineBearer.Options;

namespace OfflineBearer.ClientAuthentication;

/// <summary>
/// How one client proves itself at its token server, decided here and nowhere else: a secret (fixed, or read from its
/// file at every request; in the Basic header or the form), a signed JWT (<c>private_key_jwt</c>, one per try), a JWT its
/// platform issued (<c>client_assertion</c>, read at every request), a certificate in the TLS handshake (its id alone in
/// the form), or nothing (a public client, its id alone). The validator, discovery and the endpoint client ask it.
/// </summary>
internal sealed class ClientAuthenticator
{
    private const string ClientAssertionTypeField = "client_assertion_type";
    private const string ClientAssertionField = "client_assertion";
    private const string JwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    private readonly OfflineBearerOptions _options;
    private readonly TimeProvider _time;
    private readonly ClientSigningKey? _signingKey;
    private readonly CredentialSource? _secretFile;
    private readonly PlatformAssertion? _assertion;
    private readonly ClientProof? _fixed;

    // The credentials read for the last two requests: what a server may echo, and what a rotation just replaced.
    private volatile string?[] _recent = [];

    public ClientAuthenticator(ClientContext client)
    {
        _options = client.Options;
        _time = client.Time;
        IsPublicClient = IsPublic(_options);
        _secretFile = CredentialSource.For(client.Name, nameof(OfflineBearerOptions.ClientSecretPath), _options.ClientSecretPath, string.Empty, provider: null);
        if (_options.ClientAuthentication == ClientAuthenticationMethod.PrivateKeyJwt)
        {
            _signingKey = ClientSigningKey.Load(client.Name, _options);
        }
        else if (_options.ClientAuthentication == ClientAuthenticationMethod.ClientAssertion)
        {
            _assertion = Assertion(client);
        }

        if (_secretFile is null && _assertion is null)
        {
            // Validation allows a secret only with the secret methods; without one the client sends its id alone.
            _fixed = ProofWith(string.IsNullOrEmpty(_options.ClientSecret) ? null : _options.ClientSecret);
        }
    }

    /// <summary>A client with neither a secret, a key, a certificate nor an assertion to prove itself: it sends only its id.</summary>
    public bool IsPublicClient { get; }

    /// <summary>Whether each try carries a client assertion, whose audience the caller finds (<see cref="AssertionFields"/>).</summary>
    public bool SignsAssertions => _signingKey is not null;

    /// <summary>Whether the credential is read anew for each request (a secret file, a platform's assertion), so a refusal may be answered by reading it again.</summary>
    public bool ReadsCredential => _fixed is null;

    /// <summary>Whether the options make a client prove itself with its certificate rather than a secret or a key.</summary>
    public static bool UsesCertificate(OfflineBearerOptions options) =>
        options.ClientAuthentication is ClientAuthenticationMethod.TlsClientAuth or ClientAuthenticationMethod.SelfSignedTlsClientAuth;

    /// <summary>Whether the options leave a client nothing to prove itself with.</summary>
    public static bool IsPublic(OfflineBearerOptions options) =>
        options.ClientAuthentication is ClientAuthenticationMethod.ClientSecretBasic or ClientAuthenticationMethod.ClientSecretPost
        && string.IsNullOrEmpty(options.ClientSecret) && string.IsNullOrWhiteSpace(options.ClientSecretPath);

    /// <summary>The platform's JWT of a client's options (<c>ClientAssertionPath</c> or its provider), or null when neither is set.</summary>
    public static PlatformAssertion? Assertion(ClientContext client) =>
        CredentialSource.For(
            client.Name,
            nameof(OfflineBearerOptions.ClientAssertionPath),
            client.Options.ClientAssertionPath,
            nameof(OfflineBearerOptions.ClientAssertionProvider),
            client.Options.ClientAssertionProvider) is { } source
            ? new PlatformAssertion(client.Name, source, client.Time)
            : null;

    /// <summary>RFC 6749 section 2.3.1: id and secret are form-url-encoded before they are joined and base64-encoded.</summary>
    public static AuthenticationHeaderValue BasicCredentials(string clientId, string clientSecret)
    {
        var pair = $"{FormUrl.Encode(clientId)}:{FormUrl.Encode(clientSecret)}";
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
    }

    /// <summary>The proof of one request, from the credentials as they are now (a secret file or an assertion is read here).</summary>
    public async ValueTask<ClientProof> ProveAsync(CancellationToken cancellationToken)
    {
        if (_fixed is not null)
        {
            return _fixed;
        }

        ClientProof proof;
        if (_assertion is not null)
        {
            var jwt = await _assertion.ReadAsync(cancellationToken).ConfigureAwait(false);
            proof = new ClientProof(null, [new(ClientAssertionTypeField, JwtBearerAssertionType), new(ClientAssertionField, jwt)], jwt);
        }
        else
        {
            proof = ProofWith(await _secretFile!.ReadAsync(cancellationToken).ConfigureAwait(false));
        }

        var recent = _recent;
        if (recent.Length == 0 || recent[0] != proof.Credential)
        {
            _recent = [proof.Credential, .. recent.Take(1)];
        }

        return proof;
    }

    /// <summary>A client assertion signed for this try alone: a server may refuse an assertion's <c>jti</c> a second time.</summary>
    public KeyValuePair<string, string>[] AssertionFields(string audience) =>
    [
        new(ClientAssertionTypeField, JwtBearerAssertionType),
        new(ClientAssertionField, _signingKey!.CreateAssertion(_options.ClientId!, audience, _time.GetUtcNow())),
    ];

    /// <summary>What to check when the server refuses this client's credentials (<c>invalid_client</c>, <c>unauthorized_client</c>).</summary>
    public string RefusalAdvice() =>
        _signingKey is { } key
            ? $"The server does not accept this client's signed JWT: check ClientId, that the client is set to authenticate with a signed JWT and that the server holds the public key of SigningKey (kid {key.KeyId}, {key.Algorithm})."
        : _assertion is not null
            ? $"The server does not accept the platform's JWT from {_assertion.Description} (read again just now): check that the server trusts its issuer, " +
              "that its audience is the one the server expects (Keycloak: the realm's issuer URL; set it as the audience of the projected token), and that its subject is mapped to this client."
        : UsesCertificate(_options)
            ? $"The server does not accept this client's certificate: check ClientId, that the client is set to authenticate with {(_options.ClientAuthentication == ClientAuthenticationMethod.TlsClientAuth ? "a CA-issued certificate (tls_client_auth) and the subject it expects" : "its registered self-signed certificate (self_signed_tls_client_auth)")}, that the token endpoint is https and asks for client certificates, and that ClientCertificatePath or ClientCertificate is the certificate the server holds."
        : _secretFile is not null
            ? $"The server does not accept the secret in {_secretFile.Description} (read again just now): if the secret is being rotated, the server may not accept the new one yet " +
              "(the token in hand keeps serving until it expires); else check ClientId and ClientAuthentication."
            : "The server does not accept this client's credentials: check ClientId, ClientSecret and ClientAuthentication.";

    /// <summary>
    /// Every spelling of this client's secret a server may echo: the secret (configured, or the last two read from its file),
    /// the Basic credential, <c>id:secret</c> unencoded (a server that decodes the Basic credential may echo that), and a
    /// platform's assertion.
    /// </summary>
    public string?[] Secrets()
    {
        var secrets = new List<string?> { _options.ClientSecret, _fixed?.Header?.Parameter };
        foreach (var credential in _recent)
        {
            secrets.Add(credential);
            if (_assertion is null && credential is not null)
            {
                secrets.Add(BasicCredentials(_options.ClientId!, credential).Parameter);
                secrets.Add($"{_options.ClientId}:{credential}");
            }
        }

        if (!string.IsNullOrEmpty(_options.ClientSecret))
        {
            secrets.Add($"{_options.ClientId}:{_options.ClientSecret}");
        }

        return [.. secrets];
    }

    /// <summary>
    /// The proof with <paramref name="secret"/> (null: none): the Basic header, or the id (none with a platform's
    /// assertion, whose subject names the client) and the secret of <c>client_secret_post</c> in the form.
    /// </summary>
    private ClientProof ProofWith(string? secret)
    {
        if (secret is not null && _options.ClientAuthentication == ClientAuthenticationMethod.ClientSecretBasic)
        {
            return new ClientProof(BasicCredentials(_options.ClientId!, secret), [], _secretFile is null ? null : secret);
        }

        List<KeyValuePair<string, string>> fields = [new("client_id", _options.ClientId!)];
        if (secret is not null)
        {
            fields.Add(new("client_secret", secret));
        }

        return new ClientProof(null, fields, _secretFile is null ? null : secret);
    }
}
