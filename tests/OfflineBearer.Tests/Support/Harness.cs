using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using RichardSzalay.MockHttp;

namespace OfflineBearer.Tests.Support;

/// <summary>
/// A service provider with one named client wired as a user wires it, whose token endpoint and API are MockHttp
/// handlers driven by <see cref="OnToken"/> and <see cref="OnApi"/>, and whose clock is a <see cref="FakeTimeProvider"/>.
/// On dispose it checks that no log line and no logged exception contains a token or a secret it handed out.
/// </summary>
internal sealed class Harness : IDisposable
{
    public const string ClientName = "inventory";
    public const string ClientId = "inventory-sync";
    public const string ClientSecret = "s3cret+with/odd chars";
    public static readonly Uri TokenEndpoint = new("https://sso.test/realms/prod/protocol/openid-connect/token");
    public static readonly Uri ApiBase = new("https://api.test/");

    private readonly ServiceProvider _services;
    private readonly ConcurrentBag<string> _secrets = [ClientSecret];
    private int _issued;

    /// <param name="configure">Sets options after the harness's own.</param>
    /// <param name="services">Adds services before the provider is built.</param>
    /// <param name="userDefaults">
    /// Keeps the resilience options a user gets (retries on). Otherwise token-endpoint retries are off, because they wait
    /// on the fake clock; tests of failure behaviour use the defaults at least once and move the clock themselves.
    /// </param>
    public Harness(Action<OfflineBearerOptions>? configure = null, Action<IServiceCollection>? services = null, bool userDefaults = false)
    {
        OnToken = _ => Task.FromResult(Json(TokenJson.Success(IssueJwt(TimeSpan.FromMinutes(5)))));
        OnApi = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        TestTokenServer.When("*").Respond(RecordTokenRequestAsync);
        Api.When("*").Respond(RecordApiRequestAsync);

        var collection = new ServiceCollection();
        collection.AddSingleton<TimeProvider>(Time);
        collection.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace));
        collection.AddFakeLogging();
        collection.AddHttpClient(ClientName, c => c.BaseAddress = ApiBase)
            .AddOfflineBearerHandler(o =>
            {
                o.TokenEndpoint = TokenEndpoint;
                o.ClientId = ClientId;
                o.ClientSecret = ClientSecret;
                o.Scope = "offline_access";

                if (!userDefaults)
                {
                    o.TokenRequestRetries = 0;
                }

                configure?.Invoke(o);
                if (o.RefreshToken is { Length: > 0 } refreshToken)
                {
                    _secrets.Add(refreshToken);
                }
            })
            .ConfigurePrimaryHttpMessageHandler(() => Api);
        TokenNetwork = new NetworkFault(TestTokenServer);
        collection.AddHttpClient(OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName(ClientName))
            .ConfigurePrimaryHttpMessageHandler(() => TokenNetwork);
        services?.Invoke(collection);
        _services = collection.BuildServiceProvider();
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));

    public MockHttpMessageHandler TestTokenServer { get; } = new();

    public MockHttpMessageHandler Api { get; } = new();

    /// <summary>Set its <see cref="NetworkFault.Fault"/> to make the token server unreachable.</summary>
    public NetworkFault TokenNetwork { get; }

    /// <summary>Answers a token request; the default issues a 5-minute JWT without a refresh token.</summary>
    public Func<RecordedRequest, Task<HttpResponseMessage>> OnToken { get; set; }

    /// <summary>Answers an API request; the default is 200 OK.</summary>
    public Func<RecordedRequest, Task<HttpResponseMessage>> OnApi { get; set; }

    public ConcurrentQueue<RecordedRequest> TokenRequests { get; } = new();

    public ConcurrentQueue<RecordedRequest> ApiRequests { get; } = new();

    public IServiceProvider Services => _services;

    public FakeLogCollector Logs => _services.GetFakeLogCollector();

    /// <summary>
    /// Moves the fake clock in steps until <paramref name="task"/> completes, pausing a moment of real time between
    /// steps so that timer continuations run. For retry delays, whose timers start at moments a test cannot observe;
    /// assertions stay on fake time, and only lower bounds are exact.
    /// </summary>
    public async Task AdvanceUntilDoneAsync(Task task, TimeSpan step, TimeSpan limit)
    {
        var start = Time.GetUtcNow();
        using var watchdog = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!task.IsCompleted && Time.GetUtcNow() - start < limit && !watchdog.IsCancellationRequested)
        {
            // Never while the token server is answering: the clock would time out an answer a busy machine is slow to deliver.
            if (!TokenNetwork.IsAnswering)
            {
                Time.Advance(step);
            }

            await Task.WhenAny(task, Task.Delay(TimeSpan.FromMilliseconds(2), TimeProvider.System));
        }

        Assert.True(task.IsCompleted, $"Still running after {limit} of fake time.");
    }

    /// <summary>
    /// Gets a token with one request, then makes the API refuse that token with a Bearer invalid_token challenge, as
    /// after a server-side revocation; every other token is accepted.
    /// </summary>
    public async Task RevokeTheFirstTokenAsync(HttpClient client)
    {
        (await client.GetAsync("warm-up")).Dispose();
        var revoked = ApiRequests.Single().BearerToken;
        OnApi = request => Task.FromResult(request.BearerToken == revoked ? Unauthorized() : new HttpResponseMessage(HttpStatusCode.OK));
    }

    public HttpClient CreateClient() => _services.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);

    /// <summary>A JWT issued now by the fake clock, remembered as a secret.</summary>
    public string IssueJwt(TimeSpan lifetime) => Secret(Jwt.Lasting(lifetime, Time.GetUtcNow()));

    /// <summary>A fresh opaque refresh token, remembered as a secret.</summary>
    public string IssueRefreshToken() => Secret($"refresh-{Interlocked.Increment(ref _issued)}-{Guid.NewGuid():N}");

    /// <summary>Whether <paramref name="text"/> carries a token or secret this harness issued or configured.</summary>
    public bool IsSecret(string text) => _secrets.Any(secret => text.Contains(secret, StringComparison.Ordinal));

    public string Secret(string value)
    {
        _secrets.Add(value);
        return value;
    }

    public static HttpResponseMessage Json(string body, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    public static HttpResponseMessage Unauthorized(string? challenge = "Bearer error=\"invalid_token\"")
    {
        var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        if (challenge is not null)
        {
            response.Headers.TryAddWithoutValidation("WWW-Authenticate", challenge);
        }

        return response;
    }

    public void Dispose()
    {
        var leaks = Logs.GetSnapshot()
            .Where(record => _secrets.Any(secret => Text(record).Contains(secret, StringComparison.Ordinal)))
            .Select(record => $"{record.Category}: {record.Message}")
            .ToList();
        _services.Dispose();
        Assert.True(leaks.Count == 0, "A log line carried a token or secret: " + string.Join(" | ", leaks));
    }

    /// <summary>
    /// All a log provider gets of a record: message, exception and structured values. One exception, outside the
    /// library: IHttpClientFactory's own header logging of the user's API client hands the raw Authorization header to
    /// providers as structured state at Trace level (its message says "*"); the README tells users how to turn it off.
    /// The library's token-endpoint client has that logging removed, and is checked in full.
    /// </summary>
    private static string Text(FakeLogRecord record)
    {
        var userClientHeaderLogging = record.Category is $"System.Net.Http.HttpClient.{ClientName}.ClientHandler"
            or $"System.Net.Http.HttpClient.{ClientName}.LogicalHandler";
        var structured = userClientHeaderLogging ? [] : (record.StructuredState ?? []).Select(pair => $"{pair.Key}={pair.Value}");
        return string.Join("\n", [record.Message, record.Exception?.ToString(), .. structured]);
    }

    private async Task<HttpResponseMessage> RecordTokenRequestAsync(HttpRequestMessage request)
    {
        var recorded = await RecordedRequest.ReadAsync(request);
        TokenRequests.Enqueue(recorded);
        return await OnToken(recorded);
    }

    private async Task<HttpResponseMessage> RecordApiRequestAsync(HttpRequestMessage request)
    {
        var recorded = await RecordedRequest.ReadAsync(request);
        ApiRequests.Enqueue(recorded);
        return await OnApi(recorded);
    }
}
