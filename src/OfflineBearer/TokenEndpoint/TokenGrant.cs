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
    /// Only client_credentials may be sent again after it may have reached the server: every other grant spends a
    /// one-time credential or a rotating refresh token.
    /// </summary>
    public bool IsRepeatable => Type == GrantTypes.ClientCredentials;

    public static TokenGrant ClientCredentials(string? scope) => new(
        GrantTypes.ClientCredentials,
        string.IsNullOrWhiteSpace(scope) ? [] : [new("scope", scope)],
        credential: null);

    public static TokenGrant Refresh(string refreshToken) =>
        new(GrantTypes.RefreshToken, [new("refresh_token", refreshToken)], refreshToken);

    public override string ToString() => $"TokenGrant {Type} (credentials redacted)";
}
