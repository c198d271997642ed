using Microsoft.Extensions.Logging;

namespace OfflineBearer.Diagnostics;

/// <summary>Every log line of the library, with stable event ids. Arguments never include a token or a secret.</summary>
internal static partial class Log
{
    /// <summary>The category of every log line the library writes.</summary>
    public const string Category = "OfflineBearer";

    [LoggerMessage(1, LogLevel.Information,
        "OfflineBearer client '{ClientName}' got an access token by {GrantType}: lifetime {LifetimeSeconds} s, scope '{Scope}', new refresh token: {RefreshTokenIssued}.")]
    public static partial void TokenAcquired(ILogger logger, string clientName, string grantType, double? lifetimeSeconds, string? scope, bool refreshTokenIssued);

    [LoggerMessage(2, LogLevel.Warning,
        "OfflineBearer client '{ClientName}' could not get a token: error '{Error}', HTTP status {StatusCode}.")]
    public static partial void TokenRequestFailed(ILogger logger, string clientName, string? error, int? statusCode, Exception exception);

    [LoggerMessage(3, LogLevel.Warning,
        "OfflineBearer client '{ClientName}': the refresh token was refused ({ErrorDescription}); falling back to client_credentials.")]
    public static partial void FallingBackToClientCredentials(ILogger logger, string clientName, string? errorDescription);

    [LoggerMessage(4, LogLevel.Information,
        "OfflineBearer client '{ClientName}': the API refused the token with {Refusal}; resending {Method} once with a new token.")]
    public static partial void ResendingAfterUnauthorized(ILogger logger, string clientName, string refusal, string method);

    [LoggerMessage(5, LogLevel.Information,
        "OfflineBearer client '{ClientName}': token request attempt {Attempt} in {DelaySeconds} s, after {Reason}.")]
    public static partial void RetryingTokenRequest(ILogger logger, string clientName, int attempt, double delaySeconds, string reason);

    [LoggerMessage(6, LogLevel.Warning,
        "OfflineBearer client '{ClientName}' pauses token requests for {WithTokenSeconds} s while its token is valid and {WithoutTokenSeconds} s while it has none; the server refused: {Refused}.")]
    public static partial void Pausing(ILogger logger, string clientName, double withTokenSeconds, double withoutTokenSeconds, bool refused);

    [LoggerMessage(7, LogLevel.Information,
        "OfflineBearer client '{ClientName}' has been idle for {IdleHours} h; refreshing to keep its offline session alive.")]
    public static partial void KeepingAlive(ILogger logger, string clientName, double idleHours);

    [LoggerMessage(8, LogLevel.Information,
        "OfflineBearer client '{ClientName}' adopted version {Version} of the token another replica got.")]
    public static partial void AdoptedSharedToken(ILogger logger, string clientName, long version);

    [LoggerMessage(9, LogLevel.Warning,
        "OfflineBearer client '{ClientName}': the shared token store cannot be reached; {Action}.")]
    public static partial void SharedStoreUnavailable(ILogger logger, string clientName, string action, Exception exception);

    [LoggerMessage(10, LogLevel.Warning,
        "OfflineBearer client '{ClientName}': the replica holding the refresh lease has shared no token for {SilentSeconds} s, and this replica's token expires before the lease runs out ({LeaseSeconds} s left); getting a token with client_credentials on its own.")]
    public static partial void LeaseHolderSilent(ILogger logger, string clientName, double silentSeconds, double leaseSeconds);

    [LoggerMessage(11, LogLevel.Warning,
        "OfflineBearer client '{ClientName}' does not redeem the fleet's refresh token: {Reason}; getting a token with client_credentials instead.")]
    public static partial void NotRedeemingSpentRefreshToken(ILogger logger, string clientName, string reason);
}
