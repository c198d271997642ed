namespace OfflineBearer.Cli.Tests.Support;

/// <summary>What one run of the tool left behind: its exit code and both streams.</summary>
public sealed record ToolRun(int ExitCode, string Out, string Error)
{
    public string All => Out + Error;
}
