namespace OfflineBearer.IntegrationTests.Grpc;

/// <summary>How the gRPC service refuses a token.</summary>
public enum RefusalStyle
{
    /// <summary>HTTP 401 with a <c>WWW-Authenticate</c> challenge: ASP.NET Core's JWT bearer behind <c>RequireAuthorization</c>.</summary>
    Http401,

    /// <summary>
    /// HTTP 200 with <c>grpc-status: 16</c> (UNAUTHENTICATED) in the headers of a trailers-only answer and no challenge:
    /// an interceptor that checks the token, as gRPC servers in Go and Java do.
    /// </summary>
    TrailersOnly,
}
