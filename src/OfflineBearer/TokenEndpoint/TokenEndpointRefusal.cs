using OfflineBearer.ClientAuthentication;
using OfflineBearer.Options;

namespace OfflineBearer.TokenEndpoint;

/// <summary>
/// Turns an answer that is not the one asked for into an <see cref="OfflineBearerException"/> a person can act on: the
/// OAuth error with advice, or a description of an answer that was not one. Nothing a server echoes leaves with a
/// credential in it: the grant's, the client's secret in every spelling.
/// </summary>
internal sealed class TokenEndpointRefusal(ClientContext client, ClientAuthenticator authenticator)
{
    /// <summary>The OAuth error of an answer that is not a token response, if it carries one.</summary>
    public static TokenResponse? Parse(TokenEndpointAnswer answer) =>
        answer.Body is { } body && TokenResponse.Parse(body, success: false) is { Error: not null } refusal ? refusal : null;

    /// <summary>The error for <paramref name="answer"/> to <paramref name="what"/>, a request of kind <paramref name="request"/>.</summary>
    public OfflineBearerException Of(
        TokenEndpointAnswer answer, TokenResponse? parsed, string request, string what, params ReadOnlySpan<string?> credentials)
    {
        if (parsed is { Error: { } error })
        {
            error = Clean(error, credentials)!;
            return new OfflineBearerException(
                Describe(request, error, (int)answer.Status),
                error,
                Clean(parsed.ErrorDescription, credentials),
                answer.Status)
            {
                OfChangingCredentials = authenticator.ReadsCredential && error is "invalid_client" or "unauthorized_client"
                    || request == GrantTypes.JwtBearer && error == "invalid_grant",
            };
        }

        var why = parsed?.Problem ?? (answer.MediaType is null or "application/json" ? "no usable body" : "the body is not JSON");
        return new OfflineBearerException(
            $"The token server of OfflineBearer client '{client.Name}' answered {what} with HTTP {(int)answer.Status} " +
            $"({answer.MediaType ?? "no content type"}) and {why}. " +
            "A proxy or gateway page usually means the TokenEndpoint or Authority points at the wrong place.",
            error: null,
            errorDescription: null,
            answer.Status);
    }

    private string Describe(string request, string error, int status)
    {
        var advice = error switch
        {
            "invalid_client" or "unauthorized_client" => authenticator.RefusalAdvice(),
            "invalid_grant" when request == GrantTypes.RefreshToken && client.Options.DPoP =>
                "The offline token is no longer valid (revoked, idle too long, or rotated away), or it is bound to a DPoP key this client no longer has (keep the key with DPoPKeyPath or the file store); obtain a new one.",
            "invalid_grant" when request == GrantTypes.RefreshToken =>
                "The offline token is no longer valid (revoked, idle too long, or rotated away); obtain a new one.",
            "invalid_grant" when request == GrantTypes.AuthorizationCode =>
                "The authorization code was refused: used already, expired, issued for another redirect URI, or its PKCE verifier does not match.",
            "invalid_grant" when request == GrantTypes.JwtBearer =>
                "The server refused the platform's JWT as a grant (read again just now): check that it trusts the JWT's issuer, its audience and its subject.",
            "invalid_grant" when request == GrantTypes.TokenExchange =>
                "The server refused the subject token: expired or revoked, of another SubjectTokenType, or not meant for this client to exchange.",
            "invalid_target" => "The server refused the requested Resource or Audience (unknown to it, or not allowed for this client).",
            "unsupported_grant_type" => "The server does not offer this grant (or not to this client): check Grant and the client's settings on the server.",
            "invalid_scope" => "The server refused the requested Scope.",
            "not_allowed" => "The server does not allow offline tokens for this client or account (the offline_access role is missing).",
            "access_denied" => "The user or the server denied the request.",
            "expired_token" => "The device code expired before the user approved it; start again.",
            _ => "See ErrorDescription for the server's reason.",
        };
        return $"The token server refused the {request} request of OfflineBearer client '{client.Name}' with HTTP {status} '{error}'. {advice}";
    }

    /// <summary>A server may echo what it was sent: no spelling of a credential leaves through us.</summary>
    private string? Clean(string? text, ReadOnlySpan<string?> credentials) =>
        Redaction.Clean(text, [.. credentials, .. authenticator.Secrets(), .. SecretParameters()]);

    /// <summary>The values of the additional parameters the user marked secret.</summary>
    private IEnumerable<string?> SecretParameters() =>
        client.Options.SecretParameters.Select(name => client.Options.AdditionalParameters.TryGetValue(name, out var value) ? value : null);
}
