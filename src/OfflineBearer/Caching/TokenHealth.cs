namespace OfflineBearer.Caching;

/// <summary>How a client's token requests went, as timestamps of its <see cref="TimeProvider"/>. Immutable; swapped whole.</summary>
/// <param name="LastSuccessAt">When the last token was got (asked for or adopted); null before the first.</param>
/// <param name="LastFailure">The last failed token request's error, if any.</param>
/// <param name="LastFailureAt">When it failed.</param>
internal sealed record TokenHealth(long? LastSuccessAt, OfflineBearerException? LastFailure, long? LastFailureAt)
{
    public static TokenHealth Unknown { get; } = new(null, null, null);

    /// <summary>The failure since the last success, or null when the last token request succeeded.</summary>
    public OfflineBearerException? CurrentFailure => LastFailureAt > (LastSuccessAt ?? long.MinValue) ? LastFailure : null;
}
