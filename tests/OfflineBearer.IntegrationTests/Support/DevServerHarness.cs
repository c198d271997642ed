using Microsoft.Extensions.Configuration;
using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Testing;

namespace OfflineBearer.IntegrationTests.Support;

/// <summary>
/// One test's view of a <see cref="SharedDevServer"/>: a service collection in which the test wires named clients as a
/// user does, on the server's <see cref="FakeTimeProvider"/>, so tokens expire when the test moves the clock and never
/// by waiting. Every log line of every level is collected; on dispose the harness fails the test if one of them (its
/// message, exception or structured values) contains the client secret or any token or credential that crossed the wire.
/// </summary>
internal sealed class DevServerHarness : IAsyncDisposable
{
    /// <summary>
    /// Turns a hang (a wait on the fake clock that nobody moves) into a cancelled request instead of a stuck run.
    /// A passing test never comes near it; no assertion depends on it.
    /// </summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private readonly SharedDevServer _shared;
    private readonly ServiceCollection _services = new();
    private readonly ConcurrentDictionary<string, byte> _secrets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _bearerTokens = new(StringComparer.Ordinal);
    private ServiceProvider? _provider;

    private DevServerHarness(SharedDevServer shared)
    {
        _shared = shared;

        _services.AddSingleton<TimeProvider>(shared.Time);
        _services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace));
        _services.AddFakeLogging();

        // Every client, the library's own token endpoint client included: what the token server was sent and answered.
        _services.ConfigureHttpClientDefaults(client => client.AddHttpMessageHandler(() => new TokenRecorder(Remember)));
    }

    public TestTokenServer Server => _shared.Server;

    public TokenLedger Ledger => Server.Ledger;

    public FakeTimeProvider Time => _shared.Time;

    public FakeLogCollector Logs => Provider.GetFakeLogCollector();

    /// <summary>The clients' service provider, built on first use.</summary>
    public IServiceProvider Services => Provider;

    /// <summary>Every credential the harness has seen: secrets, tokens, Authorization values.</summary>
    public IReadOnlyCollection<string> Secrets => [.. _secrets.Keys];

    private ServiceProvider Provider =>
        _provider ??= _services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

    /// <summary>
    /// A clean slate on <paramref name="shared"/>: the clock moves past the expiry of every access token issued before,
    /// the ledger's counts start from zero, and no fault or API switch is on.
    /// </summary>
    public static DevServerHarness Create(SharedDevServer shared)
    {
        var harness = new DevServerHarness(shared);
        harness.AdvancePastExpiry();
        shared.Server.Ledger.Reset();
        shared.Server.Faults.Clear();
        shared.Server.Api.Reset();
        return harness;
    }

    /// <summary>
    /// Adds a named client exactly as a user does: base address, <c>AddOfflineBearerHandler</c> with discovery from the
    /// server's Authority, then <paramref name="configure"/>. A recorder after the bearer handler sees each request's token.
    /// </summary>
    public IHttpClientBuilder AddClient(string name, Action<OfflineBearerOptions> configure, Uri? apiUrl = null)
    {
        if (_provider is not null)
        {
            throw new InvalidOperationException("Add every client before the first one is created.");
        }

        var bearerTokens = _bearerTokens.GetOrAdd(name, _ => new ConcurrentQueue<string>());
        return _services.AddHttpClient(name, c => c.BaseAddress = apiUrl ?? Server.ApiUrl)
            .AddOfflineBearerHandler(o =>
            {
                o.Authority = Server.Authority.ToString();
                configure(o);
                Remember(o.ClientSecret);
                Remember(o.RefreshToken);
            })
            .AddHttpMessageHandler(() => new TokenRecorder(Remember, bearerTokens));
    }

    /// <summary>
    /// Adds a named client bound from <paramref name="configuration"/>, as a user binds one from appsettings.json
    /// (<c>AddOfflineBearerHandler(IConfiguration)</c>); a reloadable configuration reloads its options.
    /// </summary>
    public IHttpClientBuilder AddConfiguredClient(string name, IConfiguration configuration)
    {
        if (_provider is not null)
        {
            throw new InvalidOperationException("Add every client before the first one is created.");
        }

        var bearerTokens = _bearerTokens.GetOrAdd(name, _ => new ConcurrentQueue<string>());
        return _services.AddHttpClient(name, c => c.BaseAddress = Server.ApiUrl)
            .AddOfflineBearerHandler(configuration)
            .AddHttpMessageHandler(() => new TokenRecorder(Remember, bearerTokens));
    }

    /// <summary>
    /// Adds a gRPC client exactly as a user does: <c>AddGrpcClient&lt;TClient&gt;</c> at <paramref name="address"/>, then
    /// <c>AddOfflineBearerHandler</c> with discovery from the server's Authority and <paramref name="configure"/>.
    /// </summary>
    public IHttpClientBuilder AddGrpcClient<TClient>(Uri address, Action<OfflineBearerOptions> configure)
        where TClient : class
    {
        if (_provider is not null)
        {
            throw new InvalidOperationException("Add every client before the first one is created.");
        }

        return _services.AddGrpcClient<TClient>(grpc => grpc.Address = address)
            .AddOfflineBearerHandler(o =>
            {
                o.Authority = Server.Authority.ToString();
                configure(o);
                Remember(o.ClientSecret);
                Remember(o.RefreshToken);
            })
            .AddHttpMessageHandler(() => new TokenRecorder(Remember));
    }

    /// <summary>The library's own client for the token endpoint of <paramref name="name"/>, to put a fault in front of it.</summary>
    public IHttpClientBuilder TokenEndpointClient(string name) =>
        _services.AddHttpClient(OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName(name));

    /// <summary>Adds <see cref="TestTokenServer.BasicClientId"/> with its secret (client_secret_basic) under <paramref name="name"/>.</summary>
    public IHttpClientBuilder AddBasicClient(string name, string? scope = TestTokenServer.OfflineScope, Uri? apiUrl = null) =>
        AddClient(
            name,
            o =>
            {
                Server.ClientOptions(TestTokenServer.BasicClientId)(o);
                o.Scope = scope;
            },
            apiUrl);

    /// <summary>Adds <see cref="TestTokenServer.PublicClientId"/> with a fresh offline token from the server's password grant.</summary>
    public async Task<IHttpClientBuilder> AddPublicClientAsync(string name)
    {
        var offlineToken = await GetPublicClientOfflineTokenAsync();
        return AddClient(name, Server.ClientOptions(TestTokenServer.PublicClientId, offlineToken));
    }

    /// <summary>An offline token obtained out of band, as a user gets one; remembered as a secret.</summary>
    public async Task<string> GetPublicClientOfflineTokenAsync()
    {
        var token = await Server.GetPublicClientOfflineTokenAsync();
        Remember(token);
        return token;
    }

    /// <summary>The client as a user gets it. The first call builds the service provider.</summary>
    public HttpClient CreateClient(string name) => Provider.GetRequiredService<IHttpClientFactory>().CreateClient(name);

    /// <summary><c>GET ping</c> through the named client.</summary>
    public async Task<HttpResponseMessage> SendPingAsync(string name)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        return await CreateClient(name).GetAsync(new Uri("ping", UriKind.Relative), guard.Token);
    }

    /// <summary><c>GET ping</c> through <paramref name="client"/>; only the status is kept.</summary>
    public static async Task<HttpStatusCode> PingAsync(HttpClient client)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        using var response = await client.GetAsync(new Uri("ping", UriKind.Relative), guard.Token);
        return response.StatusCode;
    }

    /// <summary><c>GET ping</c> through the named client; only the status is kept.</summary>
    public Task<HttpStatusCode> PingAsync(string name) => PingAsync(CreateClient(name));

    /// <summary>Who the API saw: the <c>client</c> and <c>subject</c> of a ping's JSON answer.</summary>
    public static async Task<(string? Client, string? Subject)> ReadCallerAsync(HttpResponseMessage response)
    {
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (body.RootElement.GetProperty("client").GetString(), body.RootElement.GetProperty("subject").GetString());
    }

    /// <summary>Moves the clock of server and clients past the <c>exp</c> of every access token issued so far.</summary>
    public void AdvancePastExpiry() => Time.Advance(_shared.AccessTokenLifetime + TimeSpan.FromSeconds(1));

    /// <summary>The bearer tokens the named client's requests carried to the API, in order.</summary>
    public IReadOnlyList<string> BearerTokensSent(string name) =>
        _bearerTokens.TryGetValue(name, out var tokens) ? [.. tokens] : [];

    /// <summary>
    /// The log records that contain a credential the harness has seen, in their message, their exception or the values
    /// they hand to logging providers. IHttpClientFactory's header events are an exception unless
    /// <paramref name="includeHeaderEventValues"/>: their message is redacted, but their values are the raw headers
    /// (see <see cref="LogTests"/>).
    /// </summary>
    public IReadOnlyList<FakeLogRecord> FindLeaks(bool includeHeaderEventValues = false)
    {
        if (_provider is null)
        {
            return [];
        }

        var secrets = _secrets.Keys.ToList();
        return Logs.GetSnapshot()
            .Where(record => TextOf(record, includeHeaderEventValues).Any(text => secrets.Any(secret => text.Contains(secret, StringComparison.Ordinal))))
            .ToList();
    }

    public async ValueTask DisposeAsync()
    {
        var leaks = FindLeaks();
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }

        // AdvanceUntilDoneAsync moves the shared clock in fractions of a second; tests that read whole-second lifetimes
        // (expires_in) from the shared servers expect it on a whole second.
        var sinceWholeSecond = Time.GetUtcNow().Ticks % TimeSpan.TicksPerSecond;
        if (sinceWholeSecond != 0)
        {
            Time.Advance(TimeSpan.FromTicks(TimeSpan.TicksPerSecond - sinceWholeSecond));
        }

        Assert.True(leaks.Count == 0, "A log line carried a token or secret: " + Describe(leaks));
    }

    public static string Describe(IEnumerable<FakeLogRecord> records) =>
        string.Join(" | ", records.Select(record => $"[{record.Category} {record.Id}] {record.Message}"));

    private void Remember(string? credential)
    {
        if (!string.IsNullOrEmpty(credential))
        {
            _secrets.TryAdd(credential, 0);
        }
    }

    private static IEnumerable<string> TextOf(FakeLogRecord record, bool includeHeaderEventValues)
    {
        yield return record.Message;

        if (record.Exception is { } exception)
        {
            yield return exception.ToString();
        }

        if (!includeHeaderEventValues && IsHttpClientHeaderEvent(record))
        {
            yield break;
        }

        // The values a structured provider (JSON, OpenTelemetry) would write; FakeLogger keeps them as strings
        // (collections with their elements).
        if (record.State is IEnumerable<KeyValuePair<string, string?>> values)
        {
            foreach (var (_, value) in values)
            {
                yield return value ?? string.Empty;
            }
        }
    }

    private static bool IsHttpClientHeaderEvent(FakeLogRecord record) =>
        record.Category?.StartsWith("System.Net.Http.HttpClient.", StringComparison.Ordinal) == true
        && record.Id.Name is "RequestHeader" or "ResponseHeader" or "RequestPipelineRequestHeader" or "RequestPipelineResponseHeader";
}
