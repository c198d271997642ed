using Duende.IdentityModel.Jwk;
using Duende.IdentityModel.OidcClient;

namespace OfflineBearer.Benchmarks.Peers;

/// <summary>
/// Duende.IdentityModel.OidcClient's <see cref="RefreshTokenDelegatingHandler"/> as an application wires it into
/// IHttpClientFactory: an <see cref="OidcClient"/> whose provider information is given (no discovery), whose token
/// requests go to <paramref name="tokenEndpoint"/>, and a handler that starts with an access token and a refresh token
/// already held (what <c>LoginAsync</c> hands over).
/// </summary>
/// <remarks>
/// The handler keeps its tokens in its own fields, so every handler instance the factory builds starts again from the
/// tokens given here; the benchmarks create each client once, so one instance serves a whole run.
/// </remarks>
internal sealed class OidcClientPeer(HttpMessageHandler tokenEndpoint)
{
    private const string Issuer = "https://sso.test";

    private readonly OidcClient _client = new(new OidcClientOptions
    {
        Authority = Issuer,
        ClientId = "bench",
        ClientSecret = "secret",
        ProviderInformation = new ProviderInformation
        {
            IssuerName = Issuer,
            AuthorizeEndpoint = Issuer + "/authorize",
            TokenEndpoint = Issuer + "/token",
            KeySet = new JsonWebKeySet(),
        },

        // OidcClient asks for a new HttpClient per token request; the endpoint is shared, so it must not be disposed.
        HttpClientFactory = _ => new HttpClient(tokenEndpoint, disposeHandler: false),
    });

    /// <summary>A new handler holding <paramref name="accessToken"/> and <paramref name="refreshToken"/>, for <c>AddHttpMessageHandler</c>.</summary>
    public RefreshTokenDelegatingHandler CreateHandler(string accessToken, string refreshToken) => new(_client, accessToken, refreshToken);
}
