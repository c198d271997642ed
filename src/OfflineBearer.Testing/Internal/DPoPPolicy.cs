namespace OfflineBearer.Testing.Internal;

/// <summary>What the token endpoint demands of DPoP beyond a valid proof when one is sent.</summary>
/// <param name="RequireProof">Refuse token requests without a proof (<see cref="TestTokenServerOptions.RequireDPoP"/>).</param>
internal sealed record DPoPPolicy(bool RequireProof);
