namespace OfflineBearer;

/// <summary>
/// The names under which OfflineBearer reports: its metrics on a <see cref="System.Diagnostics.Metrics.Meter"/> and its
/// spans on an <see cref="System.Diagnostics.ActivitySource"/>, for <c>AddMeter</c> and <c>AddSource</c> in OpenTelemetry.
/// </summary>
public static class OfflineBearerDiagnostics
{
    /// <summary>The name of the meter of every OfflineBearer metric (<c>offlinebearer.*</c>).</summary>
    public const string MeterName = "OfflineBearer";

    /// <summary>The name of the activity source of every OfflineBearer span.</summary>
    public const string ActivitySourceName = "OfflineBearer";
}
