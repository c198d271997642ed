namespace OfflineBearer.Testing.Internal;

/// <summary>The outcome of checking a workload token: its subject and expiry, or which check failed.</summary>
/// <param name="Subject">The token's <c>sub</c> when every check passed.</param>
/// <param name="Expires">The token's <c>exp</c> when every check passed.</param>
/// <param name="Failure">What failed, as the end of a sentence that starts with the token's role ("The client assertion ..."); never the token.</param>
internal readonly record struct WorkloadTokenCheck(string? Subject, DateTimeOffset Expires, string? Failure)
{
    public static WorkloadTokenCheck Fail(string failure) => new(null, default, failure);
}
