using Microsoft.Extensions.Logging;
using OfflineBearer.Diagnostics;

namespace OfflineBearer.Options;

/// <summary>
/// What every part of one named client shares, made once by the registry when the client's holder is made: its name,
/// its options, the clock, the logger and its telemetry. Passed whole instead of as five constructor parameters.
/// </summary>
/// <param name="Name">The name of the HttpClient, which names the client in logs, metrics and errors.</param>
/// <param name="Options">The client's validated options.</param>
/// <param name="Time">The clock of every moment and timer.</param>
/// <param name="Logger">The library's logger (category <see cref="Log.Category"/>).</param>
/// <param name="Telemetry">The client's metrics and traces.</param>
internal sealed record ClientContext(string Name, OfflineBearerOptions Options, TimeProvider Time, ILogger Logger, ClientTelemetry Telemetry)
{
    /// <summary>
    /// Where in a token's life its refresh starts: 0.70 to 0.80 of it, drawn once per client, so that a fleet started
    /// together does not refresh in the same second.
    /// </summary>
    public double RefreshAtFraction { get; init; } = 0.70 + (Random.Shared.NextDouble() * 0.10);

    /// <summary>Never prints the options (they may hold a secret).</summary>
    public override string ToString() => $"ClientContext {Name}";
}
