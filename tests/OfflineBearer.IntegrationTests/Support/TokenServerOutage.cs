using System.Net;

namespace OfflineBearer.IntegrationTests.Support;

/// <summary>
/// In front of the library's token-endpoint client: while <see cref="Down"/>, the token server is unreachable
/// (connection refused). Records the fake time of every token the server issued.
/// </summary>
internal sealed class TokenServerOutage(TimeProvider time) : DelegatingHandler
{
    private readonly List<DateTimeOffset> _issued = [];

    public bool Down { get; set; }

    public IReadOnlyList<DateTimeOffset> Issued
    {
        get
        {
            lock (_issued)
            {
                return [.. _issued];
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Down)
        {
            throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (simulated outage)");
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.OK && request.Method == HttpMethod.Post)
        {
            lock (_issued)
            {
                _issued.Add(time.GetUtcNow());
            }
        }

        return response;
    }
}
