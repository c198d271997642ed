using OfflineBearer.DPoP;

namespace OfflineBearer.Refresh;

/// <summary>
/// An access token a token source got: from the token server (<see cref="Grant"/> says by which grant) or adopted from
/// the fleet (<see cref="Adopted"/>); a token bound to the client's DPoP key carries the key's <see cref="Proofs"/>.
/// </summary>
/// <param name="AccessToken">The token.</param>
/// <param name="Lifetime">Its whole lifetime, counted from <paramref name="SentAt"/>; null when unknown.</param>
/// <param name="SentAt">The timestamp its lifetime counts from: when the request was sent, or when an adopted token was got.</param>
internal sealed record TokenResult(string AccessToken, TimeSpan? Lifetime, long SentAt)
{
    /// <summary>The grant that got it; null for a token another replica got.</summary>
    public string? Grant { get; init; }

    /// <summary>Whether another replica got it and this one adopted it from the shared store.</summary>
    public bool Adopted => Grant is null;

    public string? Scope { get; init; }

    public bool RefreshTokenIssued { get; init; }

    /// <summary>The proofs of the key the token is bound to, so each request carries one; null for a bearer token.</summary>
    public DPoPProofs? Proofs { get; init; }

    /// <summary>
    /// The result of a token request that <paramref name="redemption"/> describes, sent at <paramref name="sentAt"/>: the
    /// token's lifetime is its own, cut short where it would outlive the subject token it was exchanged for.
    /// </summary>
    public static TokenResult From(Redemption redemption, long sentAt, TimeProvider time, DPoPKeySource? keys)
    {
        var response = redemption.Response;
        var now = time.GetUtcNow();
        var lifetime = TokenEndpoint.TokenLifetime.Read(response.AccessToken!, response.ExpiresIn, now);
        if (redemption.NotAfter is { } notAfter && (lifetime is null || now + lifetime > notAfter))
        {
            lifetime = notAfter > now ? notAfter - now : TimeSpan.Zero;
        }

        return new(response.AccessToken!, lifetime, sentAt)
        {
            Grant = redemption.Grant,
            Scope = response.Scope,
            RefreshTokenIssued = response.RefreshToken is not null,
            Proofs = response.IsDPoPBound ? keys?.Current : null,
        };
    }

    /// <summary>Never prints the token.</summary>
    public override string ToString() => $"TokenResult from {Grant ?? "the fleet"} (token redacted)";
}
