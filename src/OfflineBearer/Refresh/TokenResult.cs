using OfflineBearer.Fleet;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Refresh;

/// <summary>An access token got by a refresh, from the token server or adopted from the fleet, with what the log says of it.</summary>
internal sealed class TokenResult(
    string accessToken, TimeSpan? lifetime, long sentAt, string source, string? scope, bool refreshTokenIssued, bool dpopBound = false)
{
    public string AccessToken { get; } = accessToken;

    /// <summary>Its whole lifetime, counted from <see cref="SentAt"/>; null when unknown.</summary>
    public TimeSpan? Lifetime { get; } = lifetime;

    /// <summary>The timestamp its lifetime counts from: when the request was sent, or when an adopted token was got.</summary>
    public long SentAt { get; } = sentAt;

    /// <summary>The grant that got it, or <see cref="SharedRefresh.Adopted"/>.</summary>
    public string Source { get; } = source;

    public string? Scope { get; } = scope;

    public bool RefreshTokenIssued { get; } = refreshTokenIssued;

    /// <summary>Whether the token is bound to the client's DPoP key, so each request needs a proof.</summary>
    public bool DPoPBound { get; } = dpopBound;

    public static TokenResult From(TokenResponse response, string grant, long sentAt, TimeProvider time) => new(
        response.AccessToken!,
        TokenLifetime.Read(response.AccessToken!, response.ExpiresIn, time.GetUtcNow()),
        sentAt,
        grant,
        response.Scope,
        response.RefreshToken is not null,
        response.IsDPoPBound);

    /// <summary>Never prints the token.</summary>
    public override string ToString() => $"TokenResult from {Source} (token redacted)";
}
