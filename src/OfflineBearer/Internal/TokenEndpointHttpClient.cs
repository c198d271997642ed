using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;

namespace OfflineBearer.Internal;

/// <summary>
/// The named <see cref="HttpClient"/> that carries a client's requests to its token server. It never passes through the
/// bearer handler, writes no IHttpClientFactory request logs, and never follows a redirect, whatever primary handler a
/// user configures for it (a proxy, a client certificate).
/// </summary>
internal static class TokenEndpointHttpClient
{
    public static string Name(string clientName) => $"{clientName}.OfflineBearer.TokenEndpoint";

    public static void Register(IServiceCollection services, string clientName)
    {
        var name = Name(clientName);

        // At Trace level IHttpClientFactory's logging hands raw header values (the Basic credential) to log providers
        // as structured state, whatever its message redacts.
        services.AddHttpClient(name).RemoveAllLoggers();

        // A post-configuration runs after every user's ConfigurePrimaryHttpMessageHandler, so it sees the handler that
        // is really used: a followed redirect would re-post the form (secret, refresh token) to another host.
        services.PostConfigure<HttpClientFactoryOptions>(name, options => options.HttpMessageHandlerBuilderActions.Add(static builder =>
        {
            switch (builder.PrimaryHandler)
            {
                case SocketsHttpHandler sockets:
                    sockets.AllowAutoRedirect = false;
                    break;
                case HttpClientHandler client:
                    client.AllowAutoRedirect = false;
                    break;
            }
        }));
    }
}
