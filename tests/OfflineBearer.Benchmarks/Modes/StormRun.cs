namespace OfflineBearer.Benchmarks.Modes;

/// <summary>What one storm did: what the token server and the API counted, what the callers got, how long it took.</summary>
internal sealed record StormRun(
    string Scenario,
    string Library,
    int Run,
    int TokenRequests,
    int Successes,
    int Failures,
    int ApiRefusals,
    double WallTimeMs,
    IReadOnlyDictionary<string, int> FailureKinds);
