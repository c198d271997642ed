namespace OfflineBearer.TokenEndpoint;

/// <summary>
/// One grant to run at the token endpoint: its type, its own form fields, and which of them are credentials that must
/// never leave through an error message (a refresh token, an authorization code and its PKCE verifier, a device code).
/// </summary>
internal sealed class TokenGrant
{
    public TokenGrant(string type, IReadOnlyList<KeyValuePair<string, string>> fields, string? credential, string? secondCredential = null)
    {
        Type = type;
        Fields = fields;
        Credential = credential;
        SecondCredential = secondCredential;
    }

    /// <summary>The <c>grant_type</c>.</summary>
    public string Type { get; }

    /// <summary>The form fields besides <c>grant_type</c> and client authentication.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; }

    /// <summary>The grant's credential (redacted from anything the server echoes), if it has one.</summary>
    public string? Credential { get; }

    /// <summary>A second credential, the PKCE verifier of an authorization code.</summary>
    public string? SecondCredential { get; }

    /// <summary>
    /// When the token got must be replaced at the latest: the expiry of the subject token it was exchanged for. Null when
    /// only the token's own lifetime counts.
    /// </summary>
    public DateTimeOffset? NotAfter { get; init; }

    /// <summary>
    /// Only the grants that spend nothing may be sent again after they may have reached the server: client_credentials,
    /// and a platform's assertion or a subject token, which stay valid (a server that allows an assertion once refuses the
    /// resend, and nothing else is lost). A refresh token may rotate, and a code or a device code is spent.
    /// </summary>
    public bool IsRepeatable => IsClientsOwnGrant;

    /// <summary>A grant by which a client gets a token for itself, with nothing a person or an earlier grant handed it.</summary>
    private bool IsClientsOwnGrant => Type is GrantTypes.ClientCredentials or GrantTypes.JwtBearer or GrantTypes.TokenExchange;

    public static TokenGrant ClientCredentials(string? scope) => new(GrantTypes.ClientCredentials, [.. ScopeField(scope)], credential: null);

    /// <summary>RFC 7523 section 2.1: the platform's JWT is the grant.</summary>
    public static TokenGrant JwtBearer(string assertion, string? scope) =>
        new(GrantTypes.JwtBearer, [new("assertion", assertion), .. ScopeField(scope)], assertion);

    /// <summary>RFC 8693 section 2.1: <paramref name="subjectToken"/> exchanged for a token of the requested type.</summary>
    public static TokenGrant TokenExchange(string subjectToken, OfflineBearerOptions options)
    {
        List<KeyValuePair<string, string>> fields = [new("subject_token", subjectToken), new("subject_token_type", options.SubjectTokenType)];
        if (!string.IsNullOrWhiteSpace(options.RequestedTokenType))
        {
            fields.Add(new("requested_token_type", options.RequestedTokenType));
        }

        fields.AddRange(ScopeField(options.Scope));
        return new TokenGrant(GrantTypes.TokenExchange, fields, subjectToken) { NotAfter = JwtClaims.UnverifiedJwt.ReadExpiry(subjectToken) };
    }

    public static TokenGrant Refresh(string refreshToken) =>
        new(GrantTypes.RefreshToken, [new("refresh_token", refreshToken)], refreshToken);

    /// <summary>
    /// The form of this grant for a client with <paramref name="options"/>: <c>grant_type</c>, the grant's own fields, and
    /// what picks the token's target: every <c>resource</c> (RFC 8707 allows it with every grant, a refresh included), the
    /// <c>audience</c> with the grants by which a client gets a token for itself (client credentials, jwt-bearer, token
    /// exchange; a refresh keeps its token's audience, and a person's code grant took its target in the browser), and the
    /// additional parameters, none of which replaces a field the grant or the client's authentication sets.
    /// </summary>
    public List<KeyValuePair<string, string>> Form(OfflineBearerOptions options)
    {
        List<KeyValuePair<string, string>> form = [new("grant_type", Type), .. Fields];
        form.AddRange(options.Resource.Where(resource => !string.IsNullOrWhiteSpace(resource)).Select(resource => KeyValuePair.Create("resource", resource)));
        if (IsClientsOwnGrant && !string.IsNullOrWhiteSpace(options.Audience))
        {
            form.Add(new("audience", options.Audience));
        }

        foreach (var (name, value) in options.AdditionalParameters)
        {
            if (!form.Exists(field => field.Key == name))
            {
                form.Add(new(name, value));
            }
        }

        return form;
    }

    private static IEnumerable<KeyValuePair<string, string>> ScopeField(string? scope) =>
        string.IsNullOrWhiteSpace(scope) ? [] : [new("scope", scope)];

    public override string ToString() => $"TokenGrant {Type} (credentials redacted)";
}
