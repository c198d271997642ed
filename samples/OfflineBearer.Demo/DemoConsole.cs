using Microsoft.Extensions.Logging;

namespace OfflineBearer.Demo;

/// <summary>
/// Turns OfflineBearer's structured log events into one plain line each, so a newcomer sees what the library does
/// as it happens. It reads only the events' arguments (grant, lifetime, scope), which never include a token.
/// </summary>
internal sealed class DemoConsole : ILoggerProvider, ILogger
{
    private readonly TimeProvider _time = TimeProvider.System;
    private readonly string _label = string.Empty;
    private long _started;
    private int _resends;
    private int _tokenRequests;
    private int _adoptions;

    public DemoConsole() => Restart();

    // A replica's console shares the fleet's clock, so all lines are on one time line.
    private DemoConsole(long started, string label)
    {
        _started = started;
        _label = label;
    }

    public void Restart() => _started = _time.GetTimestamp();

    /// <summary>A console for one replica of the fleet demo: the same clock, and every line says which replica.</summary>
    public DemoConsole ForReplica(int number) => new(_started, $"replica {number}  ");

    public int Resends => _resends;

    /// <summary>Tokens this client got from the token server (event 1).</summary>
    public int TokenRequests => _tokenRequests;

    /// <summary>Tokens this client took from another replica instead of asking the token server (event 8).</summary>
    public int Adoptions => _adoptions;

    public void Line(string what, string text) =>
        Console.WriteLine($"[{_time.GetElapsedTime(_started).TotalSeconds,5:0.0}s] {what,-7} {_label}{text}");

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
        object? Value(string name) => values.FirstOrDefault(pair => pair.Key == name).Value;

        switch (eventId.Id)
        {
            case 1:
                var grant = (string?)Value("GrantType");
                Interlocked.Increment(ref _tokenRequests);
                var issued = Value("RefreshTokenIssued") is true;
                var offline = (grant, issued) switch
                {
                    ("refresh_token", true) => "offline token rotated (the old one is now spent)",
                    (_, true) => "offline token issued",
                    _ => "no refresh token",
                };
                var scope = Value("Scope") is string { Length: > 0 } granted ? $"scope '{granted}'" : "scope as asked";
                Line("token", $"{grant} -> access token for {Value("LifetimeSeconds"):0} s, {scope}, {offline}");
                break;
            case 4:
                Interlocked.Increment(ref _resends);
                Line("api", $"401 invalid_token -> new token, {Value("Method")} resent once");
                break;
            case 8:
                Interlocked.Increment(ref _adoptions);
                Line("adopt", $"version {Value("Version")} of the token another replica got, from Redis; no token request");
                break;
            default:
                if (logLevel >= LogLevel.Warning)
                {
                    Line("warning", formatter(state, exception));
                }

                break;
        }
    }

    public void Dispose()
    {
    }
}
