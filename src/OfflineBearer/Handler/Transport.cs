namespace OfflineBearer.Handler;

/// <summary>The one rule for plain http: allowed only on loopback while RequireHttps is on.</summary>
internal static class Transport
{
    // Uri.IsLoopback covers 127.0.0.0/8, ::1 and the name localhost.
    public static bool IsAllowed(Uri address) =>
        address.Scheme == Uri.UriSchemeHttps || address.IsLoopback;
}
