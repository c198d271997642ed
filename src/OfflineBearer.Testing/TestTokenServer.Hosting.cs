using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.IdentityModel.Tokens;
using OfflineBearer.Testing.Internal;
using OpenIddict.Abstractions;

namespace OfflineBearer.Testing;

// Start-up: the web application with its services, pipeline and endpoints, the store seeded, the port read, the warm-up.
public sealed partial class TestTokenServer
{
    private const string DefaultUrl = "http://127.0.0.1:0";
    private const string DefaultHttpsUrl = "https://127.0.0.1:0";

    /// <summary>Starts a server with the default settings changed by <paramref name="configure"/>; it listens once this completes.</summary>
    /// <param name="configure">Changes the settings, e.g. <c>o => o.TimeProvider = time</c>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop it.</returns>
    /// <exception cref="ArgumentException">The settings contradict each other; the message says what to set.</exception>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "The overloads differ in their first parameter's type; the cancellation token is optional in each, as in every async API.")]
    public static Task<TestTokenServer> StartAsync(Action<TestTokenServerOptions> configure, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new TestTokenServerOptions();
        configure(options);
        return StartAsync(options, cancellationToken);
    }

    /// <summary>Starts a server and seeds its clients; it listens once this completes.</summary>
    /// <param name="options">The settings; <see langword="null"/> for the defaults. A fixture that reads them back after the start passes them whole.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop it.</returns>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "The overloads differ in their first parameter's type; the cancellation token is optional in each, as in every async API.")]
    public static async Task<TestTokenServer> StartAsync(TestTokenServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new TestTokenServerOptions();
        Validate(options);

        // A named, shared-cache in-memory database lives as long as one connection to it stays open. Each DbContext
        // opens its own connection to it, because one SqliteConnection must not serve concurrent requests.
        var connectionString = $"Data Source=OfflineBearer.Testing.{Guid.NewGuid():N};Mode=Memory;Cache=Shared";
        var keepAlive = new SqliteConnection(connectionString);
        WebApplication? app = null;
        MutualTls? ownedMutualTls = null;
        TestWorkloadIssuer? workloadIssuer = null;
        try
        {
            await keepAlive.OpenAsync(cancellationToken).ConfigureAwait(false);

            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
            {
                ApplicationName = typeof(TestTokenServer).Assembly.GetName().Name,
                ContentRootPath = AppContext.BaseDirectory,
            });
            var mutualTls = options.ServerCertificate is null ? null : new MutualTls(options);
            ownedMutualTls = mutualTls;
            builder.WebHost.UseUrls(mutualTls is not null && options.Url == DefaultUrl ? DefaultHttpsUrl : options.Url);
            if (mutualTls is not null)
            {
                // The slim builder leaves https addresses out until asked.
                builder.WebHost.UseKestrelHttpsConfiguration();
                builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(mutualTls.Configure));
            }

            builder.Logging.ClearProviders();
            (options.ConfigureLogging ?? DefaultLogging)(builder.Logging);

            var ledger = new TokenLedger(options.TimeProvider);
            var faults = new TokenServerFaults(options.TimeProvider, ledger);
            workloadIssuer = new TestWorkloadIssuer(options.WorkloadTokenIssuer, options.TimeProvider);
            builder.Services.AddDevServer(options, connectionString, ledger, mutualTls, workloadIssuer);

            app = builder.Build();
            app.Use(async (context, next) =>
            {
                ledger.RequestStarted(context);
                try
                {
                    // The API has its own switches (TestApi); every other endpoint is the token server's.
                    if (context.Request.Path.StartsWithSegments("/api") || !await faults.TryAnswerAsync(context).ConfigureAwait(false))
                    {
                        await next(context).ConfigureAwait(false);
                    }
                }
                finally
                {
                    ledger.RequestEnded();
                }
            });
            app.UseAuthentication();
            app.MapTokenEndpoint(mutualTls: mutualTls is not null);
            app.MapAuthorizationEndpoint();
            app.MapVerificationEndpoint();
            app.MapApi();
            app.MapAdmin();

            using var madeKey = options.SignedJwtClientPublicKey is null ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
            var signedJwtKey = options.SignedJwtClientPublicKey
                ?? JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(madeKey!.ExportParameters(includePrivateParameters: false))));
            await SeedAsync(app.Services, signedJwtKey, mutualTls, cancellationToken).ConfigureAwait(false);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);

            var authority = ReadAuthority(app);
            if (mutualTls is not null)
            {
                mutualTls.Issuer = authority;
            }

            workloadIssuer.ServerIssuer = authority.AbsoluteUri;
            var server = new TestTokenServer(app, keepAlive, authority, ledger, faults, madeKey?.ExportPkcs8PrivateKeyPem(), mutualTls, workloadIssuer);
            await server.WarmUpAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }

            await keepAlive.DisposeAsync().ConfigureAwait(false);
            ownedMutualTls?.Dispose();
            workloadIssuer?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The first discovery and token requests of a fresh process take seconds (JIT, EF Core model, secret hashing); a
    /// client would count them against its first token's lifetime. One refused request pays that cost up front.
    /// </summary>
    private async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        (await _http.GetAsync(DiscoveryEndpoint, cancellationToken).ConfigureAwait(false)).Dispose();
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [OpenIddictConstants.Parameters.GrantType] = OpenIddictConstants.GrantTypes.ClientCredentials,
            [OpenIddictConstants.Parameters.ClientId] = PostClientId,
            [OpenIddictConstants.Parameters.ClientSecret] = "warm-up, not the secret",
        });
        (await _http.PostAsync(TokenEndpoint, form, cancellationToken).ConfigureAwait(false)).Dispose();
        Ledger.Reset();
    }

    private static void DefaultLogging(ILoggingBuilder logging) =>
        logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning)
            // It warns at every start that its in-memory key is not encrypted at rest; it is never at rest.
            .AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);

    // With port 0 only the running server knows its port.
    private static Uri ReadAuthority(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(new Uri(address), "/");
    }
}
