namespace OfflineBearer.Testing.Redis;

/// <summary>
/// A server could not start on its port, most likely because another process took the port between
/// <see cref="RedisServer"/> picking it and the server binding it; a first start then tries another free port.
/// </summary>
internal sealed class RedisPortTakenException(string message, Exception? innerException = null)
    : InvalidOperationException(message, innerException);
