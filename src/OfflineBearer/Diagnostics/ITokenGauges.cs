namespace OfflineBearer.Diagnostics;

/// <summary>
/// What the observable gauges read of one client, as timestamps of its clock: when its token expires and when it last
/// got one. Implemented by the client's token holder; read without a lock.
/// </summary>
internal interface ITokenGauges
{
    /// <summary>The client's name, the gauges' tag.</summary>
    string ClientName { get; }

    /// <summary>When the token in hand expires; null with no token or one of unknown lifetime.</summary>
    long? ExpiresAt { get; }

    /// <summary>When the last token was got; null before the first.</summary>
    long? LastSuccessAt { get; }
}
