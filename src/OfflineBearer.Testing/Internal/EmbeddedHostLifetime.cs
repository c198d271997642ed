namespace OfflineBearer.Testing.Internal;

/// <summary>
/// A host lifetime that ignores console signals. The default one would swallow Ctrl+C inside a demo or test process
/// and stop only the server; the owner of a <see cref="TestTokenServer"/> stops it by disposing it.
/// </summary>
internal sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
