namespace OfflineBearer.Testing.Redis;

/// <summary>
/// One run of a <see cref="RedisServer"/>'s server on its port, from a start that answered PING to its stop: a
/// <c>redis-server</c> process (<see cref="RedisProcess"/>) or an embedded Garnet (<see cref="EmbeddedGarnet"/>).
/// </summary>
internal interface IRedisRun
{
    /// <summary>
    /// Ends the run abruptly, as a crash would: nothing is saved, every client connection is closed and the port refuses
    /// connections once the returned task completes.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server did not stop within a bound.</exception>
    Task StopAsync();
}
