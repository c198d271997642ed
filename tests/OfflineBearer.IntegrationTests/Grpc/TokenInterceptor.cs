using Grpc.Core;
using Grpc.Core.Interceptors;

namespace OfflineBearer.IntegrationTests.Grpc;

/// <summary>
/// Refuses a call whose token the authentication middleware did not accept with UNAUTHENTICATED before any message,
/// which Grpc.AspNetCore sends as a trailers-only answer (HTTP 200, <c>grpc-status: 16</c> in the headers).
/// </summary>
internal sealed class TokenInterceptor(GrpcApiLedger ledger) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Authenticate(ServerCallContext context)
    {
        if (context.GetHttpContext().User.Identity?.IsAuthenticated != true)
        {
            ledger.Refuse();
            throw new RpcException(new Status(StatusCode.Unauthenticated, "The access token is not valid."));
        }
    }
}
