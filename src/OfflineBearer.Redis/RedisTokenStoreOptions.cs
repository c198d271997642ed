namespace OfflineBearer.Redis;

/// <summary>
/// Where and how the replicas of a service share their tokens on Redis. Set in code or bound from a configuration
/// section (<c>AddOfflineBearerRedis(IConfiguration)</c>); validated when the host starts.
/// </summary>
public sealed class RedisTokenStoreOptions
{
    /// <summary>A StackExchange.Redis configuration string, such as <c>redis.internal:6379,ssl=true,password=…</c>.</summary>
    /// <value>The default is null; it is required unless a connection is given by <c>AddOfflineBearerRedis(Func…)</c>.</value>
    public string? Configuration { get; set; }

    /// <summary>
    /// Put before every key, so several services can share one Redis. Replicas share tokens when they use the same Redis,
    /// the same prefix and the same client name. It must not be empty.
    /// </summary>
    /// <value>The default is <c>offlinebearer:</c>.</value>
    public string KeyPrefix { get; set; } = "offlinebearer:";

    /// <summary>
    /// Whether a public client may redeem its refresh token on its own while Redis cannot be reached. Off by default:
    /// two replicas could then redeem the same refresh token, and a server that rotates refresh tokens (Keycloak's
    /// "Revoke Refresh Token", RFC 9700) ends the session for all of them. A confidential client never needs it: it gets
    /// a token with client_credentials, which redeems no refresh token.
    /// </summary>
    /// <value>The default is false.</value>
    public bool AllowLocalRefreshWhenUnavailable { get; set; }
}
