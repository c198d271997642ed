using System.Net.Http.Json;

namespace OfflineBearer.TestingExample;

/// <summary>
/// The service under test: it calls the inventory API through a named <see cref="HttpClient"/> and knows nothing of
/// tokens; the OfflineBearer handler its start-up adds does.
/// </summary>
public sealed class InventoryClient(IHttpClientFactory clients)
{
    public const string ClientName = "inventory";

    /// <summary>Who the API says called it.</summary>
    public async Task<string?> WhoAmIAsync(CancellationToken cancellationToken = default)
    {
        var answer = await clients.CreateClient(ClientName).GetFromJsonAsync<PingAnswer>("ping", cancellationToken);
        return answer?.Client;
    }

    private sealed record PingAnswer(bool Ok, string? Client, string? Subject);
}
