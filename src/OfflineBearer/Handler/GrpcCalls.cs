using System.Net;

namespace OfflineBearer.Handler;

/// <summary>
/// What the handler knows of gRPC calls (<c>Grpc.Net.Client</c>, e.g. from <c>AddGrpcClient&lt;T&gt;()</c>) without
/// depending on the gRPC packages: how a gRPC server refuses a token that carries no HTTP 401, and which calls can be
/// sent again.
/// </summary>
internal static class GrpcCalls
{
    /// <summary>gRPC status 16, UNAUTHENTICATED: "the request does not have valid authentication credentials".</summary>
    private const string Unauthenticated = "16";

    /// <summary>
    /// True for a trailers-only answer (HTTP 200 whose headers already carry <c>grpc-status</c>) with status 16,
    /// UNAUTHENTICATED: how interceptor-based servers (Go, Java, and ASP.NET Core services that throw before the first
    /// message) refuse a token. It has no <c>WWW-Authenticate</c> challenge to read, so it counts as one that asks for a
    /// new token. Only a request with a body is looked at: every gRPC call has one, and the hot path's GET has none.
    /// </summary>
    public static bool RefusedUnauthenticated(HttpRequestMessage request, HttpResponseMessage response) =>
        request.Content is not null
        && response.StatusCode == HttpStatusCode.OK
        && response.Headers.NonValidated.TryGetValues("grpc-status", out var status)
        && status.Count == 1
        && status.ToString() == Unauthenticated;

    /// <summary>
    /// True for the content <c>Grpc.Net.Client</c> sends for a call whose request is one message (unary and server
    /// streaming calls): it writes that message anew each time it is sent, so the call can be sent again with a new token.
    /// The content of client streaming and duplex calls is a stream the caller writes once: never sent again. Known by
    /// its type's name, as the gRPC client is not a dependency of this package; should a later gRPC client rename it,
    /// calls are no longer resent (the next one carries the new token), which a test of the gRPC client in use pins.
    /// </summary>
    public static bool SendsOneMessage(HttpContent content)
    {
        var type = content.GetType();
        return type.Namespace == "Grpc.Net.Client.Internal" && type.Name is "PushUnaryContent`2" or "WinHttpUnaryContent`2";
    }
}
