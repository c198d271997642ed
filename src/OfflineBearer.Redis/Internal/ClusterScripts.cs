using StackExchange.Redis;

namespace OfflineBearer.Redis.Internal;

/// <summary>
/// The store's scripts on Redis Cluster while a client's slot moves to another master (a resharding): the old master
/// answers ASK for a key it no longer has, which StackExchange.Redis follows, but the new one answers a script whose keys
/// are not all there yet (a lease taken on the new side, a mark that exists on neither) with TRYAGAIN, without running
/// it; StackExchange.Redis returns that as an error. Without a second try a replica would fail its refresh, or, at the
/// write after the token server rotated the refresh token, lose the new one and leave the fleet only the mark.
/// </summary>
internal static class ClusterScripts
{
    /// <summary>How long a script answered TRYAGAIN is sent again: moving a slot's keys takes milliseconds.</summary>
    internal static readonly TimeSpan TryAgainFor = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan TryAgainInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Runs <paramref name="script"/>, sent again while the answer is TRYAGAIN (it did not run), for up to
    /// <see cref="TryAgainFor"/>; then the last TRYAGAIN is thrown. The pause is on real time, not the fleet's clock: it
    /// waits for Redis to move keys.
    /// </summary>
    public static async Task<RedisResult> EvaluateUntilRunAsync(
        this IDatabase database, string script, RedisKey[] keys, RedisValue[] values, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            try
            {
                return await database.ScriptEvaluateAsync(script, keys, values).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (e.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
                && TimeProvider.System.GetElapsedTime(started) < TryAgainFor)
            {
                await Task.Delay(TryAgainInterval, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
