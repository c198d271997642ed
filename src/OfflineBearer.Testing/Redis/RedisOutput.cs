using System.Diagnostics;

namespace OfflineBearer.Testing.Redis;

/// <summary>The last lines a <see cref="RedisServer"/> process wrote, for the message of a failed start. Thread-safe.</summary>
internal sealed class RedisOutput
{
    private const int LinesKept = 50;

    private readonly Queue<string> _lines = new();

    /// <summary>Lets the output of a process that exited reach its handlers, for the error message; bounded to a second.</summary>
    public static async Task FlushAsync(Process exited)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await exited.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The message goes without the last lines.
        }
    }

    public void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Enqueue(line);
            while (_lines.Count > LinesKept)
            {
                _lines.Dequeue();
            }
        }
    }

    public void Clear()
    {
        lock (_lines)
        {
            _lines.Clear();
        }
    }

    public override string ToString()
    {
        lock (_lines)
        {
            return string.Join(Environment.NewLine, _lines);
        }
    }
}
