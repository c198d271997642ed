namespace OfflineBearer.Redis.TestHost;

/// <summary>Says on standard output that the token server answered a token request, then holds the answer back a moment.</summary>
internal sealed class AnnounceRedeemed : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var grant = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (grant.Contains("grant_type=refresh_token", StringComparison.Ordinal))
        {
            Console.WriteLine("REDEEMED refresh_token");
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
        }

        return response;
    }
}
