namespace OfflineBearer.Redis.Tests.Support;

/// <summary>Each step of a refresh under the lease at which a replica can die, in the order a refresh passes them.</summary>
public enum DeathPoint
{
    /// <summary>On its way to the lease: nothing of the refresh has happened.</summary>
    BeforeLease,

    /// <summary>Holding the lease, before it marks the refresh token as being redeemed.</summary>
    AfterLeaseBeforeMark,

    /// <summary>Its refresh request reached the token server, which processed it (and rotated the token); no answer came back.</summary>
    DuringRedemption,

    /// <summary>With the server's answer in hand (the old token spent), before it wrote the new state.</summary>
    AfterAnswerBeforeWrite,

    /// <summary>After it wrote the new state, before it gave the lease back.</summary>
    AfterWrite,
}
