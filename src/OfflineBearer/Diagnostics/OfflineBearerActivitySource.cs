using System.Diagnostics;

namespace OfflineBearer.Diagnostics;

/// <summary>The one activity source of the library; listeners subscribe by <see cref="OfflineBearerDiagnostics.ActivitySourceName"/>.</summary>
internal static class OfflineBearerActivitySource
{
    public static readonly ActivitySource Instance = new(
        OfflineBearerDiagnostics.ActivitySourceName, typeof(OfflineBearerActivitySource).Assembly.GetName().Version?.ToString());
}
