namespace OfflineBearer.Redis.Tests.Support;

/// <summary>
/// Tests on the real clock (replica processes with 3-second tokens) run alone, after the other collections. Beside them,
/// thousands of concurrent in-process calls and a six-process cluster hold both cores of a 2-core machine for seconds,
/// which stretches a replica's 3 seconds; the only failed calls these tests ever counted came in runs under such load
/// (load average 10 to 13), never on a quiet machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealTimeAlone
{
    public const string Name = "Real time, alone";
}
