using System.Net.Http.Headers;

namespace OfflineBearer.Benchmarks.InMemory;

/// <summary>The least any bearer scheme can do: set one constant <c>Authorization</c> header, built once.</summary>
internal sealed class ConstantHeaderHandler : DelegatingHandler
{
    private static readonly AuthenticationHeaderValue Constant = new("Bearer", "constant");

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = Constant;
        return base.SendAsync(request, cancellationToken);
    }
}
