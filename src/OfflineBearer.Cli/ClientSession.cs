using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OfflineBearer.Caching;
using OfflineBearer.Diagnostics;
using OfflineBearer.Fleet;
using OfflineBearer.Options;
using OfflineBearer.Stores;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Cli;

/// <summary>
/// One client as the library sees it, for the length of one command: the same registrations a service makes
/// (<c>AddOfflineBearerHandler</c>, <c>AddOfflineBearerFileStore</c>, <c>AddOfflineBearerRedis</c>), so discovery, the
/// token endpoint client, client authentication, the stores and the refresh are the library's own.
/// </summary>
internal sealed class ClientSession : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly string? _directory;

    private ClientSession(ServiceProvider services, string clientName, OfflineBearerOptions options, TimeProvider time, string? directory)
    {
        _services = services;
        _directory = directory;
        ClientName = clientName;
        Options = options;
        Time = time;
        var client = new ClientContext(clientName, options, time, NullLogger.Instance, new ClientTelemetry(clientName, metrics: null));
        Endpoint = TokenEndpointClient.Create(client, services.GetRequiredService<IHttpClientFactory>());
        Store = services.GetRequiredService<IRefreshTokenStore>();
        Files = Store as ITokenFiles;
        SharedStore = services.GetService<ISharedTokenStore>();
    }

    /// <summary>The client's name in the service, which the stores key by; its client id when no store is named.</summary>
    public string ClientName { get; }

    public OfflineBearerOptions Options { get; }

    public TimeProvider Time { get; }

    public TokenEndpointClient Endpoint { get; }

    /// <summary>Where the client's refresh token is kept: the file store of <c>--store</c>, else the library's default.</summary>
    public IRefreshTokenStore Store { get; }

    /// <summary>The files of the file store of <c>--store</c>, if given.</summary>
    public ITokenFiles? Files { get; }

    /// <summary>The Redis store of <c>--redis</c>, if given.</summary>
    public ISharedTokenStore? SharedStore { get; }

    /// <summary>The library's token holder of this client: refresh, rotation and the store, as in a service.</summary>
    public TokenHolder Holder => _services.GetRequiredService<TokenHolderRegistry>().Get(ClientName);

    /// <summary>
    /// The session of one command. Async because a refused key or certificate disposes what was built, and the Redis
    /// store of <c>--redis</c> can only be disposed asynchronously (a synchronous dispose throws over the refusal).
    /// </summary>
    public static async Task<ClientSession> OpenAsync(OfflineBearerOptions options, StoreArguments store, CliEnvironment environment)
    {
        var clientName = store.ClientName ?? options.ClientId!;
        var services = new ServiceCollection();
        services.AddSingleton(environment.Time);
        services.AddHttpClient(clientName).AddOfflineBearerHandler(o =>
        {
            o.Authority = options.Authority;
            o.ClientId = options.ClientId;
            o.ClientSecret = options.ClientSecret;
            o.Scope = options.Scope;
            o.ClientAuthentication = options.ClientAuthentication;
            o.SigningKeyPath = options.SigningKeyPath;
            o.ClientCertificatePath = options.ClientCertificatePath;
            o.ClientCertificateKeyPath = options.ClientCertificateKeyPath;
            o.ClientCertificatePassword = options.ClientCertificatePassword;
            o.ClientAssertionPath = options.ClientAssertionPath;
            o.Grant = options.Grant;
            o.SubjectTokenPath = options.SubjectTokenPath;
            o.SubjectTokenType = options.SubjectTokenType;
            o.RequestedTokenType = options.RequestedTokenType;
            o.Audience = options.Audience;
            foreach (var resource in options.Resource)
            {
                o.Resource.Add(resource);
            }
        });

        if (store.Directory is { } directory)
        {
            services.AddOfflineBearerFileStore(directory);
        }

        if (store.Redis is { } redis)
        {
            services.AddOfflineBearerRedis(o =>
            {
                o.Configuration = redis;
                o.KeyPrefix = store.RedisKeyPrefix;
            });
        }

        var provider = services.BuildServiceProvider();
        try
        {
            ValidateKeyAndCertificate(provider, clientName, options);
        }
        catch
        {
            await provider.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new ClientSession(provider, clientName, options, environment.Time, store.Directory);
    }

    /// <summary>
    /// Puts what a login or grant got where the service will read it: the refresh token into the store, and the access
    /// token beside it so that <c>token</c> does not ask the server again while it is fresh. The client's settings are
    /// remembered with a refresh token, and without one for a client whose grant runs again from files the platform keeps
    /// current (its JWT, a subject token), so that <c>token</c> gets it a new token.
    /// </summary>
    /// <param name="response">The token server's answer.</param>
    /// <param name="sentAt">When the request was sent.</param>
    /// <param name="cancellationToken">Cancels the writes.</param>
    /// <param name="notAfter">When the token must be replaced at the latest whatever its lifetime: its subject token's expiry.</param>
    /// <returns>Where it went, in words.</returns>
    public async Task<string> KeepAsync(TokenResponse response, DateTimeOffset sentAt, CancellationToken cancellationToken, DateTimeOffset? notAfter = null)
    {
        var lifetime = TokenLifetime.Read(response.AccessToken!, response.ExpiresIn, sentAt);
        if (notAfter is { } end && (lifetime is null || sentAt + lifetime > end))
        {
            lifetime = end > sentAt ? end - sentAt : TimeSpan.Zero;
        }

        if (Files is not null)
        {
            var rerunsFromFiles = Options.Grant != OfflineBearerGrant.ClientCredentials || Options.ClientAuthentication == ClientAuthenticationMethod.ClientAssertion;
            if (response.RefreshToken is { } refreshToken)
            {
                await Store.SetAsync(ClientName, refreshToken, cancellationToken).ConfigureAwait(false);
            }

            if (response.RefreshToken is not null || rerunsFromFiles)
            {
                await ServerOptions.Remember(Options).WriteAsync(_directory!, ClientName, cancellationToken).ConfigureAwait(false);
            }

            await AccessTokenCache.WriteAsync(Files.PathBeside(ClientName, AccessTokenCache.Extension), response.AccessToken!, UseUntil(sentAt, lifetime), cancellationToken)
                .ConfigureAwait(false);
            return response.RefreshToken is not null ? $"stored for client '{ClientName}' in the file store"
                : rerunsFromFiles ? $"the file store remembers client '{ClientName}' for token, which runs the grant again from the files it names"
                : "nothing stored: the server issued no refresh token";
        }

        if (SharedStore is not null)
        {
            await WriteSharedAsync(response, lifetime, cancellationToken).ConfigureAwait(false);
            return $"stored for client '{ClientName}' in Redis";
        }

        return "not stored (no --store or --redis)";
    }

    /// <summary>
    /// Until when a script may be handed this token: the library's refresh window before its expiry, so the token still
    /// lives for the request the script makes with it.
    /// </summary>
    public DateTimeOffset? UseUntil(DateTimeOffset sentAt, TimeSpan? lifetime)
    {
        if (lifetime is not { } life)
        {
            return null;
        }

        var window = life / 2 < Options.RefreshBeforeExpiry ? life / 2 : Options.RefreshBeforeExpiry;
        return sentAt + life - window;
    }

    /// <summary>The same moment for a token the holder scheduled: where its refresh window starts; null when its life is unknown.</summary>
    public DateTimeOffset? UseUntil(TokenSnapshot snapshot)
    {
        if (snapshot.MustRefreshAt == long.MaxValue)
        {
            return null;
        }

        var now = Time.GetTimestamp();
        return Time.GetUtcNow() + TimeSpan.FromSeconds((double)(snapshot.MustRefreshAt - now) / Time.TimestampFrequency);
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    /// <summary>
    /// A key, a certificate, the platform's JWT file and a grant's files are checked as a service checks them at start,
    /// by the library's options validation, before the token server is asked anything: a missing, public, keyless or
    /// damaged file is a usage error named by its flag. A secret client with client credentials is left as the tool always
    /// ran it (a login that only prints its token has no store, which the validation would refuse a public client).
    /// </summary>
    private static void ValidateKeyAndCertificate(ServiceProvider provider, string clientName, OfflineBearerOptions options)
    {
        if (ClientAuthenticationNames.UsesSecret(options.ClientAuthentication) && options.ClientCertificatePath is null
            && options.Grant == OfflineBearerGrant.ClientCredentials)
        {
            return;
        }

        try
        {
            _ = provider.GetRequiredService<IOptionsMonitor<OfflineBearerOptions>>().Get(clientName);
        }
        catch (OptionsValidationException e)
        {
            throw new CliException(ExitCodes.UsageError, ServerOptions.ToFlags(string.Join(" ", e.Failures)));
        }
    }

    /// <summary>A new version of the fleet's state, written under a lease as a replica writes it.</summary>
    private async Task WriteSharedAsync(TokenResponse response, TimeSpan? lifetime, CancellationToken cancellationToken)
    {
        var store = SharedStore!;
        var lease = await store.TryAcquireLeaseAsync(ClientName, TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false)
            ?? throw new CliException(ExitCodes.ServerFailure, $"A replica of client '{ClientName}' is refreshing its token in Redis right now; run the command again in a minute.");
        try
        {
            var current = await store.ReadAsync(ClientName, cancellationToken).ConfigureAwait(false);
            var state = new SharedTokenState(
                (current?.Version ?? 0) + 1,
                response.RefreshToken,
                response.AccessToken!,
                lifetime,
                lifetime is { } life ? Time.GetUtcNow() + life : null)
            {
                // The fleet moves to this session: the refresh token it replaces is never presented again.
                SupersededRefreshTokenHashes = current is { RefreshToken: { } replaced } && replaced != response.RefreshToken
                    ? SupersededRefreshTokens.With(current.SupersededRefreshTokenHashes, replaced)
                    : current?.SupersededRefreshTokenHashes ?? [],
            };
            if (!await store.TryWriteAsync(ClientName, lease, state, cancellationToken).ConfigureAwait(false))
            {
                throw new CliException(ExitCodes.ServerFailure, $"Redis refused the new token of client '{ClientName}': a replica wrote a newer one meanwhile.");
            }
        }
        finally
        {
            await store.ReleaseLeaseAsync(ClientName, lease, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
