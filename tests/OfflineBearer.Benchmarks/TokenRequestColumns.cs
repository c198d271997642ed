using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace OfflineBearer.Benchmarks;

/// <summary>
/// What the fake token server counted in one benchmark case, carried from the benchmark process to the summary table.
/// BenchmarkDotNet runs each case in a process of its own, so a static counter never reaches the host's columns: the
/// benchmark process writes one small file per case (in its <c>[GlobalCleanup]</c>), and the host's columns read it.
/// The directory is named by the host in an environment variable that the benchmark processes inherit.
/// </summary>
internal sealed record TokenRequestTally(double MeanPerExpiry, int MaxPerExpiry, int Expiries, int RefreshTokenReuses)
{
    private const string DirectoryVariable = "OFFLINEBEARER_BENCHMARK_TALLY_DIR";

    /// <summary>Called in the host: one directory per host process, inherited by every benchmark process it starts.</summary>
    public static void NameDirectoryForThisRun()
    {
        if (Environment.GetEnvironmentVariable(DirectoryVariable) is null)
        {
            var directory = Path.Combine(Path.GetTempPath(), $"offlinebearer-benchmark-tally-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}");
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true); // left by an earlier process with the same id
            }

            Environment.SetEnvironmentVariable(DirectoryVariable, directory);
        }
    }

    public static string Key(string method, int replicas, bool redis) =>
        string.Create(CultureInfo.InvariantCulture, $"{method}-{replicas}-{(redis ? "redis" : "alone")}");

    /// <summary>Called in the benchmark process. Does nothing when the host named no directory (then only the log has it).</summary>
    public void Write(string key)
    {
        if (Environment.GetEnvironmentVariable(DirectoryVariable) is not { } directory)
        {
            return;
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(
            Path.Combine(directory, key + ".txt"),
            string.Create(CultureInfo.InvariantCulture, $"{MeanPerExpiry:R} {MaxPerExpiry} {Expiries} {RefreshTokenReuses}"));
    }

    /// <summary>Called in the host, by the columns.</summary>
    public static TokenRequestTally? Read(string key)
    {
        if (Environment.GetEnvironmentVariable(DirectoryVariable) is not { } directory
            || !File.Exists(Path.Combine(directory, key + ".txt")))
        {
            return null;
        }

        var parts = File.ReadAllText(Path.Combine(directory, key + ".txt")).Split(' ');
        return new TokenRequestTally(
            double.Parse(parts[0], CultureInfo.InvariantCulture),
            int.Parse(parts[1], CultureInfo.InvariantCulture),
            int.Parse(parts[2], CultureInfo.InvariantCulture),
            int.Parse(parts[3], CultureInfo.InvariantCulture));
    }
}

/// <summary>A summary column with one figure of the <see cref="TokenRequestTally"/> of each case.</summary>
internal sealed class TokenRequestColumn(string name, string legend, Func<TokenRequestTally, string> figure) : IColumn
{
    public static readonly IColumn PerExpiry = new TokenRequestColumn(
        "TokenReq/expiry",
        "Token requests the token server received per expiry (per iteration), mean over every iteration including warm-up",
        t => t.MeanPerExpiry.ToString("0.00", CultureInfo.InvariantCulture));

    public static readonly IColumn MaxPerExpiry = new TokenRequestColumn(
        "MaxTokenReq",
        "Most token requests in one expiry (one iteration)",
        t => t.MaxPerExpiry.ToString(CultureInfo.InvariantCulture));

    public static readonly IColumn Reuses = new TokenRequestColumn(
        "RT reuses",
        "Refresh tokens redeemed a second time (a rotating server with reuse detection would end the session); must be 0",
        t => t.RefreshTokenReuses.ToString(CultureInfo.InvariantCulture));

    public string Id => nameof(TokenRequestColumn) + "." + ColumnName;

    public string ColumnName { get; } = name;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend { get; } = legend;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        var key = TokenRequestTally.Key(
            benchmarkCase.Descriptor.WorkloadMethod.Name,
            (int)benchmarkCase.Parameters[nameof(FleetBenchmarks.Replicas)],
            (bool)benchmarkCase.Parameters[nameof(FleetBenchmarks.Redis)]);
        return TokenRequestTally.Read(key) is { } tally ? figure(tally) : "?";
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    public override string ToString() => ColumnName;
}

/// <summary>The fleet benchmark's configuration: the token request columns, and the directory they read from.</summary>
internal sealed class FleetBenchmarkConfig : ManualConfig
{
    public FleetBenchmarkConfig()
    {
        TokenRequestTally.NameDirectoryForThisRun();
        AddColumn(TokenRequestColumn.PerExpiry, TokenRequestColumn.MaxPerExpiry, TokenRequestColumn.Reuses);
    }
}
