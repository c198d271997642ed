using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OfflineBearer.Testing.Internal;

/// <summary>The server's service registrations: the OpenIddict store, server and validation, and our own pieces.</summary>
internal static class DevServerServices
{
    public static IServiceCollection AddDevServer(
        this IServiceCollection services, TestTokenServerOptions options, string connectionString, TokenLedger ledger, MutualTls? mutualTls, TestWorkloadIssuer workloadIssuer)
    {
        var time = options.TimeProvider;

        services.AddSingleton(time);
        services.AddSingleton(ledger);
        services.AddSingleton(new TestApi());
        services.AddSingleton<TokenRevoker>();
        services.AddSingleton(new DevicePolls(time, options.DevicePollingInterval, options.DeviceCodeLifetime, options.AnnouncedDevicePollingInterval));
        services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
        services.AddSingleton(new DPoPNonce(options.RequireDPoPNonce, time, options.DPoPNonceRotationInterval));
        services.AddSingleton(new DPoPPolicy(options.RequireDPoP));
        services.AddSingleton<DPoPReplayCache>();
        services.AddSingleton<DPoPProofValidator>();
        services.AddSingleton<DPoPResourceCheck>();
        services.AddSingleton(new DevClients(mutualTls, options.Clients));
        services.AddSingleton(new WorkloadIdentity(workloadIssuer, new Dictionary<string, string>(options.WorkloadSubjects, StringComparer.Ordinal), time));
        services.AddAuthentication();

        services.Configure<KeyManagementOptions>(keys => keys.XmlRepository = new InMemoryXmlRepository());

        services.AddDbContext<DevServerDbContext>(db => db.UseSqlite(connectionString).UseOpenIddict());

        services.AddOpenIddict()
            .AddCore(core =>
            {
                core.UseEntityFrameworkCore().UseDbContext<DevServerDbContext>();
                core.Configure(settings => settings.TimeProvider = time);
            })
            .AddServer(server =>
            {
                server.SetTokenEndpointUris("connect/token")
                      .SetRevocationEndpointUris("connect/revoke")
                      .SetAuthorizationEndpointUris(AuthorizationEndpoint.Path)
                      .SetDeviceAuthorizationEndpointUris("connect/device")
                      .SetEndUserVerificationEndpointUris(VerificationEndpoint.Path);

                server.AllowClientCredentialsFlow()
                      .AllowRefreshTokenFlow()
                      .AllowPasswordFlow()
                      .AllowAuthorizationCodeFlow()
                      .AllowDeviceAuthorizationFlow()
                      .AllowTokenExchangeFlow()
                      .AllowCustomFlow(JwtBearerGrantCheck.GrantType);

                // Every authorization request must carry a code_challenge, and only S256 (RFC 7636 4.2; OAuth 2.1).
                server.RequireProofKeyForCodeExchange();
                server.Configure(settings => settings.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain));

                server.RegisterScopes(Scopes.OpenId, Scopes.OfflineAccess, TestTokenServer.ApiScope);

                // Any client may name any registered resource (RFC 8707) or audience; an unregistered one is invalid_target.
                server.RegisterResources([TestTokenServer.ApiResource, .. options.Resources])
                      .RegisterAudiences([TestTokenServer.ApiAudience, .. options.Audiences])
                      .IgnoreResourcePermissions()
                      .IgnoreAudiencePermissions();
                server.RemoveEventHandler(OpenIddictServerHandlers.Exchange.ValidateAudienceParameter.Descriptor)
                      .AddEventHandler(AudienceParameterCheck.Descriptor);

                server.SetDeviceCodeLifetime(options.DeviceCodeLifetime)
                      .SetUserCodeLifetime(options.DeviceCodeLifetime);

                // Offline-like refresh tokens: they never expire on their own, only by rotation or revocation.
                server.SetAccessTokenLifetime(options.AccessTokenLifetime)
                      .SetRefreshTokenLifetime(null);

                if (options.RotateRefreshTokens)
                {
                    // No grace period: replaying a redeemed refresh token revokes the whole grant at once.
                    server.SetRefreshTokenReuseLeeway(null);
                }
                else
                {
                    server.DisableRollingRefreshTokens();
                }

                // Plain JWT access tokens, so clients and tests can read exp and iat; keys live as long as the process.
                server.AddEncryptionKey(DevServerKeys.Encryption)
                      .AddSigningKey(DevServerKeys.Signing)
                      .DisableAccessTokenEncryption();

                server.AddEventHandler(TokenResponseRecorder.Descriptor)
                      .AddEventHandler(ClientAuthenticationMethodCheck.Descriptor)
                      .AddEventHandler(DeviceAuthorizationResponseRecorder.Descriptor)
                      .AddEventHandler(DevicePollingRateCheck.Descriptor);

                // Workload identity: its tokens as client assertions (Keycloak's federated JWT) and as jwt-bearer grants.
                server.AddEventHandler(WorkloadClientAssertionCheck.Descriptor)
                      .AddEventHandler(JwtBearerGrantCheck.Descriptor);

                // DPoP (RFC 9449), which OpenIddict 7.8 lacks: proofs at the token endpoint, bound tokens, discovery.
                server.AddEventHandler(DPoPTokenRequestCheck.Descriptor)
                      .AddEventHandler(DPoPTokenBinding.Descriptor)
                      .AddEventHandler(DPoPTokenType.Descriptor)
                      .AddEventHandler(DPoPDiscoveryMetadata.Descriptor)
                      .AddEventHandler(DPoPSubjectTokenGate.Descriptor);

                server.Configure(settings => settings.TimeProvider = time);

                if (mutualTls is not null)
                {
                    AddMutualTls(server, mutualTls);
                }

                server.UseAspNetCore()
                      .EnableTokenEndpointPassthrough()
                      .EnableAuthorizationEndpointPassthrough()
                      .EnableEndUserVerificationEndpointPassthrough()
                      .DisableTransportSecurityRequirement(); // plain HTTP on loopback
            })
            .AddValidation(validation =>
            {
                validation.UseLocalServer();

                // After UseLocalServer, which sets it only for reference tokens: look every access token up in the
                // store, so a token revoked on the server is refused by the API at once.
                validation.EnableTokenEntryValidation();

                validation.Configure(settings => settings.TimeProvider = time);
                validation.UseAspNetCore();

                // The API takes "Authorization: DPoP" too and checks the proof itself (ApiEndpoints, DPoPResourceCheck).
                validation.AddEventHandler(DPoPAccessTokenExtractor.Descriptor)
                          .AddEventHandler(DPoPConfirmationGate.Descriptor);
            });

        return services;
    }

    /// <summary>
    /// Mutual TLS (RFC 8705): client authentication with certificates, certificate-bound access tokens, and the token and
    /// revocation endpoints under a second path each, advertised as <c>mtls_endpoint_aliases</c>.
    /// </summary>
    private static void AddMutualTls(OpenIddictServerBuilder server, MutualTls mutualTls)
    {
        // The canonical URI stays first: discovery names it as token_endpoint and revocation_endpoint.
        server.SetTokenEndpointUris("connect/token", MutualTls.TokenAliasPath)
              .SetRevocationEndpointUris("connect/revoke", MutualTls.RevocationAliasPath);

        // Registered self-signed certificates are looked up per client; a public client may bind its tokens to any
        // self-signed certificate it presents (RFC 8705 section 2.2).
        server.EnableSelfSignedTlsClientAuthentication();

        if (mutualTls.Authority is { } authority)
        {
            // Throwaway certificates carry no CRL or OCSP address: there is nothing to check revocation against.
            server.EnablePublicKeyInfrastructureTlsClientAuthentication([authority], policy => policy.RevocationMode = X509RevocationMode.NoCheck);
        }

        server.UseClientCertificateBoundAccessTokens();

        // OpenIddict advertises only absolute https aliases and wants a fixed issuer with them. Both exist once Kestrel has
        // bound its port; OpenIddict builds its options at the first request, which comes later.
        server.Configure(settings =>
        {
            settings.Issuer = mutualTls.Issuer;
            settings.MtlsTokenEndpointAliasUri = new Uri(mutualTls.Issuer, MutualTls.TokenAliasPath);
            settings.MtlsRevocationEndpointAliasUri = new Uri(mutualTls.Issuer, MutualTls.RevocationAliasPath);
        });
    }
}
