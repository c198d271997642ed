using System.Diagnostics;
using System.Net;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>Many calls at once across replicas, and the bounded real-time waits of the cluster tests.</summary>
internal static class Bursts
{
    /// <summary>Starts every call on the thread pool behind one gate, so they reach the handlers together; null for a 200, else why it failed.</summary>
    public static async Task<string?[]> FireAtOnceAsync(IEnumerable<Replica> replicas, int callsEach)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = replicas.SelectMany(replica => Enumerable.Repeat(replica, callsEach)).Select(replica => Task.Run(async () =>
        {
            await gate.Task;
            return await OutcomeAsync(replica.PingAsync());
        })).ToList();
        gate.SetResult();
        return await Task.WhenAll(calls);
    }

    /// <summary>Null for a 200, else why the call failed.</summary>
    public static async Task<string?> OutcomeAsync(Task<HttpStatusCode> call)
    {
        try
        {
            var status = await call;
            return status == HttpStatusCode.OK ? null : $"HTTP {(int)status}";
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>No call failed; else the first distinct reasons, in full.</summary>
    public static void AssertNoFailures(IEnumerable<string?> outcomes)
    {
        var failures = outcomes.OfType<string>().ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} calls failed:\n{string.Join("\n", failures.Distinct().Take(5))}");
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, for at most 30 s of real time: for Redis processes, never for the code under test.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"Waited 30 s for {what}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }
    }
}
