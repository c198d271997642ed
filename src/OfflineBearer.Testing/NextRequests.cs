using System.Net;

namespace OfflineBearer.Testing;

/// <summary>A number of upcoming requests to a <see cref="TestTokenServer"/>, planned by <see cref="TokenServerFaults.Next"/>.</summary>
public sealed class NextRequests
{
    private readonly TokenServerFaults _faults;
    private readonly int _count;

    internal NextRequests(TokenServerFaults faults, int count)
    {
        _faults = faults;
        _count = count;
    }

    /// <summary>Answers each of these requests with <paramref name="status"/> and no body, as a proxy or throttle does.</summary>
    /// <param name="status">The status, e.g. 429 or 502.</param>
    /// <param name="retryAfter">Sent as <c>Retry-After</c> in whole seconds, rounded up; <see langword="null"/> sends none.</param>
    public void Respond(HttpStatusCode status, TimeSpan? retryAfter = null) =>
        _faults.Plan(_count, context => TokenServerFaults.RespondAsync(context, status, retryAfter));

    /// <summary>Resets the connection of each of these requests before any answer.</summary>
    public void ResetConnection() => _faults.Plan(_count, TokenServerFaults.ResetAsync);
}
