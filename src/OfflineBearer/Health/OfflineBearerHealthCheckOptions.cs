namespace OfflineBearer;

/// <summary>Settings of the health checks that <c>AddOfflineBearer</c> adds to a health checks builder.</summary>
public sealed class OfflineBearerHealthCheckOptions
{
    /// <summary>The clients to check, by their HttpClient names.</summary>
    /// <value>The default, empty, checks every client registered with <c>AddOfflineBearerHandler</c>.</value>
    public IList<string> ClientNames { get; } = [];

    /// <summary>
    /// Whether a check asks for a token when the client has none in hand, so a probe can tell at start-up that a token
    /// can be had. Off, a check only reads what the client already knows, and a probe costs the token server nothing.
    /// </summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool RequestToken { get; set; }

    /// <summary>Tags of every check, to pick them in a health endpoint (for example <c>ready</c>).</summary>
    /// <value>The default is empty.</value>
    public IList<string> Tags { get; } = [];
}
