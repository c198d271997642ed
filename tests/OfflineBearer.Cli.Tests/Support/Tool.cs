using Microsoft.Extensions.Time.Testing;

namespace OfflineBearer.Cli.Tests.Support;

/// <summary>
/// Runs <c>offline-token</c> command handlers in-process as a user would from a shell: arguments, an environment with or
/// without the client secret, standard input, the server's fake clock, and a "browser" the test plays.
/// </summary>
public sealed class Tool(CliServerFixture fixture) : IDisposable
{
    private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);

    /// <summary>A fresh store directory per tool, deleted with it.</summary>
    public string StoreDirectory { get; } = Directory.CreateTempSubdirectory("offline-token-tests-").FullName;

    public TestTokenServer Server => fixture.Server;

    public FakeTimeProvider Time => fixture.Time;

    /// <summary>Moves the shared clock to its next whole second (it only moves forward), for exact times to expiry.</summary>
    public long MoveToNextWholeSecond()
    {
        var now = Time.GetUtcNow().ToUnixTimeSeconds() + 1;
        Time.SetUtcNow(DateTimeOffset.FromUnixTimeSeconds(now));
        return now;
    }

    public string Authority => Server.Authority.AbsoluteUri;

    /// <summary>What a test does when the tool opens a browser; by default there is none.</summary>
    public Func<Uri, bool> Browser { get; set; } = _ => false;

    /// <summary>Standard input of the next runs.</summary>
    public string Input { get; set; } = string.Empty;

    private StringWriter _error = new();
    private TextWriter _syncError = TextWriter.Null;

    public Tool WithSecret(string secret) => WithVariable(CliEnvironment.ClientSecretVariable, secret);

    /// <summary>An environment variable of the next runs.</summary>
    public Tool WithVariable(string name, string value)
    {
        _variables[name] = value;
        return this;
    }

    /// <summary>Arguments for a confidential or public client of the server; <c>--store</c> and <c>--client</c> added when a client name is given.</summary>
    public string[] Args(string command, string clientId, string? clientName = "inventory", params string[] more)
    {
        var args = new List<string> { command, "--authority", Authority, "--client-id", clientId };
        if (clientName is not null)
        {
            args.AddRange(["--store", StoreDirectory, "--client", clientName]);
        }

        args.AddRange(more);
        return [.. args];
    }

    public async Task<ToolRun> RunAsync(params string[] args)
    {
        return await StartAsync(args);
    }

    /// <summary>Starts a run; the test may act (sign in, approve, move the clock) while it waits.</summary>
    public Task<ToolRun> StartAsync(params string[] args)
    {
        var output = new StringWriter();
        _error = new StringWriter();
        _syncError = TextWriter.Synchronized(_error);
        var environment = new CliEnvironment
        {
            Out = TextWriter.Synchronized(output),
            Error = _syncError,
            In = new StringReader(Input),
            GetVariable = name => _variables.GetValueOrDefault(name),
            Time = Time,
            OpenBrowser = address => Browser(address),
        };

        return Task.Run(async () =>
        {
            var exitCode = await OfflineTokenApp.RunAsync(args, environment);
            return new ToolRun(exitCode, output.ToString(), ErrorSoFar());
        });
    }

    /// <summary>Standard error written so far by the run in progress.</summary>
    public string ErrorSoFar()
    {
        // A synchronized writer locks on itself while it writes.
        lock (_syncError)
        {
            return _error.ToString();
        }
    }

    /// <summary>
    /// Moves the fake clock by <paramref name="step"/> at a time while <paramref name="run"/> waits on it, until it ends:
    /// the tool's waits (polling, time limits) pass without real waiting. The clock moves only while the server has no
    /// request in flight, so a token request never sees its own timeout pass. The real-time bound only stops a hung test.
    /// </summary>
    public Task<ToolRun> StepClockUntilDoneAsync(Task<ToolRun> run, TimeSpan step, Func<bool>? before = null) =>
        StepClockUntilDoneAsync(run, step, () => Task.FromResult(before is null || before()));

    /// <summary>As above; <paramref name="before"/> may act (approve a device) and says whether to move the clock now.</summary>
    public async Task<ToolRun> StepClockUntilDoneAsync(Task<ToolRun> run, TimeSpan step, Func<Task<bool>> before)
    {
        var giveUp = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!run.IsCompleted && DateTime.UtcNow < giveUp)
        {
            if (await before() && Server.Ledger.RequestsInFlight == 0)
            {
                Time.Advance(step);
            }

            await Task.WhenAny(run, Task.Delay(20));
        }

        return await run;
    }

    public void Dispose() => Directory.Delete(StoreDirectory, recursive: true);
}
