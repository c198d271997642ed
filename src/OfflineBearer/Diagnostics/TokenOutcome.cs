using System.Collections.Frozen;
using Polly.Timeout;

namespace OfflineBearer.Diagnostics;

/// <summary>
/// How a token request ended, as a metric tag from a small fixed vocabulary: a server's error code outside the OAuth
/// registry becomes <see cref="OtherOAuthError"/>, so no server can grow the number of time series.
/// </summary>
internal static class TokenOutcome
{
    public const string Success = "success";
    public const string Timeout = "timeout";
    public const string Network = "network";
    public const string Paused = "paused";

    /// <summary>An HTTP answer that is not OAuth: a proxy's page, a redirect, an unusable body.</summary>
    public const string InvalidResponse = "invalid_response";

    public const string OtherOAuthError = "other_oauth_error";

    /// <summary>Not the server's doing: the store, a missing refresh token.</summary>
    public const string ClientError = "client_error";

    // RFC 6749 5.2, RFC 8628 3.5, and Keycloak's not_allowed for offline tokens.
    private static readonly FrozenSet<string> OAuthErrors = FrozenSet.Create(
        StringComparer.Ordinal,
        "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope",
        "access_denied", "authorization_pending", "slow_down", "expired_token", "temporarily_unavailable", "server_error", "not_allowed");

    public static string Of(Exception failure) => failure switch
    {
        OfflineBearerException { Error: { } error } => OAuthErrors.Contains(error) ? error : OtherOAuthError,
        OfflineBearerException { InnerException: TimeoutRejectedException or OperationCanceledException } or OperationCanceledException => Timeout,
        OfflineBearerException { InnerException: HttpRequestException or HttpIOException } => Network,
        OfflineBearerException { StatusCode: not null } => InvalidResponse,
        _ => ClientError,
    };
}
