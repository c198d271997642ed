namespace OfflineBearer.Gateway;

/// <summary>What the gateway sends and where: the <c>Gateway</c> section, bound by the configuration binding source generator.</summary>
internal sealed class GatewayOptions
{
    /// <summary>The name every reading carries.</summary>
    public string Sensor { get; set; } = "sensor";

    /// <summary>How many readings to send before exiting; the first command-line argument wins.</summary>
    public int Readings { get; set; } = 10;

    /// <summary>The protected API that takes the readings.</summary>
    public Uri? ReadingsUrl { get; set; }

    /// <summary>
    /// POST sends each reading as a JSON body. GET puts it in the query string: the development server's API is
    /// <c>GET /api/ping</c>, which takes any query.
    /// </summary>
    public string Method { get; set; } = "POST";
}
