using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using OfflineBearer.ClientAuthentication;

namespace OfflineBearer.TokenEndpoint;

/// <summary>
/// The named <see cref="HttpClient"/> that carries a client's requests to its token server. It never passes through the
/// bearer handler, writes no IHttpClientFactory request logs, never follows a redirect, and presents the client's
/// certificate for mutual TLS, whatever primary handler a user configures for it (a proxy, a trusted root): a
/// <see cref="SocketsHttpHandler"/> or an <see cref="HttpClientHandler"/>; a handler of another kind must bring the
/// certificate itself.
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
        services.TryAddSingleton<ClientCertificates>();
        services.PostConfigure<HttpClientFactoryOptions>(name, options => options.HttpMessageHandlerBuilderActions.Add(builder =>
        {
            var certificate = builder.Services.GetRequiredService<ClientCertificates>().Get(clientName);
            switch (builder.PrimaryHandler)
            {
                case SocketsHttpHandler sockets:
                    sockets.AllowAutoRedirect = false;
                    if (certificate is not null)
                    {
                        // The callback, not ClientCertificates: that list offers a certificate only when the server names
                        // its issuer as acceptable, and a self-signed certificate's issuer is never named.
                        sockets.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
                    }

                    break;
                case HttpClientHandler client:
                    client.AllowAutoRedirect = false;
                    if (certificate is not null)
                    {
                        client.ClientCertificateOptions = ClientCertificateOption.Manual;
                        client.ClientCertificates.Add(certificate);
                    }

                    break;
            }
        }));
    }
}
