using System.Collections.Concurrent;

namespace OfflineBearer.IntegrationTests.Grpc;

/// <summary>What the gRPC service saw: calls served per method, refusals, and the access token of every attempt.</summary>
internal sealed class GrpcApiLedger
{
    private readonly ConcurrentDictionary<string, int> _served = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _tokens = new();
    private int _refused;
    private int _refusalsLeft;

    public int Refused => Volatile.Read(ref _refused);

    /// <summary>The access token of every call attempt that carried one, in arrival order.</summary>
    public IReadOnlyList<string> Tokens => [.. _tokens];

    public int ServedCalls(string method) => _served.GetValueOrDefault(method);

    public void Served(string method) => _served.AddOrUpdate(method, 1, (_, count) => count + 1);

    public void Attempted(string token) => _tokens.Enqueue(token);

    public void Refuse() => Interlocked.Increment(ref _refused);

    /// <summary>Refuses the next <paramref name="count"/> tokens whatever they are, as after a revocation or key rotation.</summary>
    public void RefuseNext(int count) => Volatile.Write(ref _refusalsLeft, count);

    /// <summary>Takes one refusal of those <see cref="RefuseNext"/> set, if any is left (below zero: none).</summary>
    public bool TryTakeRefusal() => Interlocked.Decrement(ref _refusalsLeft) >= 0;
}
