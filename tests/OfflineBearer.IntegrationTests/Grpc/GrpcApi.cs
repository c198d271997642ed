using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OfflineBearer.IntegrationTests.Grpc;

/// <summary>
/// An in-process gRPC service (Grpc.AspNetCore on Kestrel, HTTP/2 on a free loopback port) that accepts the development
/// server's access tokens only: ASP.NET Core's JWT bearer with the server's discovery and keys and lifetimes judged on the
/// test's fake clock, and DPoP-bound tokens only with a valid proof for the call (<see cref="DPoPProofCheck"/>). It
/// refuses a token the way <see cref="RefusalStyle"/> says.
/// </summary>
internal sealed class GrpcApi : IAsyncDisposable
{
    private const string UsedDPoP = "used-dpop";

    private readonly WebApplication _app;

    private GrpcApi(WebApplication app, GrpcApiLedger ledger)
    {
        _app = app;
        Ledger = ledger;
        Url = new Uri(app.Urls.Single());
    }

    /// <summary>The service's address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Url { get; }

    public GrpcApiLedger Ledger { get; }

    public static async Task<GrpcApi> StartAsync(TestTokenServer server, TimeProvider time, RefusalStyle style)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(endpoint => endpoint.Protocols = HttpProtocols.Http2));
        builder.Logging.ClearProviders();

        var ledger = new GrpcApiLedger();
        var proofs = new DPoPProofCheck(time);
        builder.Services.AddSingleton(ledger);
        builder.Services.AddGrpc(grpc =>
        {
            if (style == RefusalStyle.TrailersOnly)
            {
                grpc.Interceptors.Add<TokenInterceptor>();
            }
        });
        builder.Services.AddAuthorization();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(jwt =>
        {
            jwt.Authority = server.Authority.ToString();
            jwt.RequireHttpsMetadata = false;
            jwt.MapInboundClaims = false;
            jwt.TimeProvider = time;
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidateAudience = false,
                // On the test's clock, as the token server issues them, with no skew: an expired token is refused.
                LifetimeValidator = (_, expires, _, _) => expires is { } at && at > time.GetUtcNow().UtcDateTime,
            };
            jwt.Events = new JwtBearerEvents
            {
                OnMessageReceived = context =>
                {
                    var authorization = context.Request.Headers.Authorization.ToString();
                    if (authorization.StartsWith("DPoP ", StringComparison.Ordinal))
                    {
                        context.Token = authorization["DPoP ".Length..];
                        context.HttpContext.Items[UsedDPoP] = true;
                    }

                    var token = context.Token ?? (authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..] : null);
                    if (token is not null)
                    {
                        ledger.Attempted(token);
                    }

                    return Task.CompletedTask;
                },
                OnTokenValidated = async context =>
                {
                    if (ledger.TryTakeRefusal())
                    {
                        context.Fail("The token was revoked.");
                        return;
                    }

                    var token = (JsonWebToken)context.SecurityToken;
                    var boundTo = DPoPProofCheck.ConfirmationOf(token);
                    var usedDPoP = context.HttpContext.Items.ContainsKey(UsedDPoP);
                    var refusal = boundTo is null
                        ? usedDPoP ? "A bearer token sent as DPoP." : null
                        : !usedDPoP ? "A DPoP-bound token sent as a bearer token." : await proofs.RefusalAsync(context.Request, token.EncodedToken, boundTo);
                    if (refusal is not null)
                    {
                        context.Fail(refusal);
                    }
                },
                OnChallenge = context =>
                {
                    ledger.Refuse();
                    if (context.HttpContext.Items.ContainsKey(UsedDPoP))
                    {
                        // RFC 9449 7.1: a DPoP token is challenged in the DPoP scheme.
                        context.HandleResponse();
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        context.Response.Headers.WWWAuthenticate = "DPoP error=\"invalid_token\", algs=\"ES256 PS256 RS256\"";
                    }

                    return Task.CompletedTask;
                },
            };
        });

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        var service = app.MapGrpcService<InventoryService>();
        if (style == RefusalStyle.Http401)
        {
            service.RequireAuthorization();
        }

        await app.StartAsync();
        return new GrpcApi(app, ledger);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
