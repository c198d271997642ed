namespace OfflineBearer.Tests.Support;

/// <summary>
/// Sits in front of a MockHttp handler and fails like the network when <see cref="Fault"/> is set: MockHttp itself
/// cannot throw from a dynamic response (it leaves the request hanging instead).
/// </summary>
internal sealed class NetworkFault(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public Exception? Fault { get; set; }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Fault is { } fault ? Task.FromException<HttpResponseMessage>(fault) : base.SendAsync(request, cancellationToken);

}
