namespace OfflineBearer.Gateway;

/// <summary>What the gateway sends and where: the <c>Gateway</c> section, bound by the configuration binding source generator.</summary>
internal sealed class GatewayOptions
{
    /// <summary>The name every reading carries.</summary>
    public string Sensor { get; set; } = "sensor";

    /// <summary>How many readings to send before exiting; the first command-line argument wins.</summary>
    public int Readings { get; set; } = 10;

    /// <summary>The protected API that takes the readings, each posted as a JSON body.</summary>
    public Uri? ReadingsUrl { get; set; }
}
