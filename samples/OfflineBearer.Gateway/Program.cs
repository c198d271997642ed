using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OfflineBearer;
using OfflineBearer.Gateway;

// OfflineBearer.Gateway [READINGS] [--Gateway:Sensor=…]: sends READINGS readings through the OfflineBearer handler and
// exits (0: all accepted; 1: configuration error; 2: no token or no API; 3: a reading refused). It prints how long after
// Main started the first reading was accepted, which is what a native and a JIT build are compared on (eng/aot/run).
var started = Stopwatch.GetTimestamp();

try
{
    var count = args is [var first, ..] && int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : (int?)null;
    var configuration = new ConfigurationBuilder()
        .SetBasePath(AppContext.BaseDirectory)
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(count is null ? args : args[1..])
        .Build();
    var gateway = configuration.GetSection("Gateway").Get<GatewayOptions>() ?? new GatewayOptions();
    count ??= gateway.Readings;
    if (gateway.ReadingsUrl is not { IsAbsoluteUri: true } url)
    {
        Console.Error.WriteLine("Configuration error: Gateway:ReadingsUrl must be an absolute URL.");
        return 1;
    }

    // No Host: a ServiceCollection is all the handler needs, and keeps the native binary small.
    var services = new ServiceCollection();
    services.AddHttpClient("readings").AddOfflineBearerHandler(configuration.GetSection("OfflineBearer"));
    await using var provider = services.BuildServiceProvider();

    var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("readings");
    TimeSpan? firstAccepted = null;
    DateTimeOffset firstAcceptedAt = default;
    var accepted = 0;
    for (var sequence = 1; sequence <= count; sequence++)
    {
        var reading = new Reading(gateway.Sensor, sequence, 18 + (sequence % 7 * 0.5), TimeProvider.System.GetUtcNow());
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(reading, GatewayJsonContext.Default.Reading) };
        using var response = await client.SendAsync(request);
        if (response.IsSuccessStatusCode)
        {
            accepted++;
            if (firstAccepted is null)
            {
                firstAccepted = Stopwatch.GetElapsedTime(started);
                firstAcceptedAt = TimeProvider.System.GetUtcNow();
            }
        }

        Console.WriteLine($"reading {sequence}/{count} {reading.Celsius:0.0} °C -> {(int)response.StatusCode} {response.ReasonPhrase}");
    }

    var total = Stopwatch.GetElapsedTime(started);
    var firstLine = firstAccepted is { } elapsed
        ? string.Create(
            CultureInfo.InvariantCulture,
            $"first accepted {elapsed.TotalMilliseconds:0.0} ms after Main started (unix_us={(firstAcceptedAt - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond})")
        : "none accepted";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gateway: {accepted}/{count} readings accepted; {firstLine}; {total.TotalMilliseconds:0.0} ms in all"));
    return accepted == count ? 0 : 3;
}
catch (OptionsValidationException e)
{
    Console.Error.WriteLine($"Configuration error: {string.Join(" ", e.Failures)}");
    return 1;
}
catch (InvalidOperationException e) when (e.InnerException is FormatException or OverflowException)
{
    // The binder names the key and the value that did not parse.
    Console.Error.WriteLine($"Configuration error: {e.Message}");
    return 1;
}
catch (OfflineBearerException e)
{
    Console.Error.WriteLine($"No token: {e.Message}");
    return 2;
}
catch (HttpRequestException e)
{
    Console.Error.WriteLine($"The API could not be reached: {e.Message}");
    return 2;
}
