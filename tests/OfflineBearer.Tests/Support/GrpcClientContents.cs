using System.Net;
using System.Text;

// Stand-ins for Grpc.Net.Client's request contents, under their real namespace and names: the handler knows them by
// name (it does not depend on gRPC). The integration tests' GrpcClientTests pin the real gRPC client's names.
namespace Grpc.Net.Client.Internal;

/// <summary>Writes its message each time it is sent; only the type's name tells the stand-ins apart.</summary>
internal abstract class StandInContent(string message) : HttpContent
{
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        stream.WriteAsync(Encoding.UTF8.GetBytes(message)).AsTask();

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}

/// <summary>Like the gRPC client's unary content: writes its one message anew each time it is sent.</summary>
internal sealed class PushUnaryContent<TRequest, TResponse>(string message) : StandInContent(message);

/// <summary>Like the gRPC client's unary content under WinHttpHandler (Windows).</summary>
internal sealed class WinHttpUnaryContent<TRequest, TResponse>(string message) : StandInContent(message);

/// <summary>Like the gRPC client's streaming content: a stream the caller writes once.</summary>
internal sealed class PushStreamContent<TRequest, TResponse>(string message) : StandInContent(message);
