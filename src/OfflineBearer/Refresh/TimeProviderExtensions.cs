namespace OfflineBearer.Refresh;

/// <summary>Durations as <see cref="TimeProvider.GetTimestamp"/> units, the monotonic scale every moment of the library uses.</summary>
internal static class TimeProviderExtensions
{
    public static long ToTimestamp(this TimeProvider time, TimeSpan duration) =>
        (long)(duration.Ticks * ((double)time.TimestampFrequency / TimeSpan.TicksPerSecond));
}
