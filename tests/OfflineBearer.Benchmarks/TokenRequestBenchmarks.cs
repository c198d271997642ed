using System.Net.Http.Headers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OfflineBearer.Benchmarks.InMemory;
using OfflineBearer.ClientAuthentication;
using OfflineBearer.Diagnostics;
using OfflineBearer.Options;
using OfflineBearer.Refresh;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Benchmarks;

/// <summary>
/// One token request through the library's <see cref="TokenEndpointClient"/>, as the token holder runs it (the grant's
/// form, client authentication, the token client's handler chain and resilience pipeline, reading and parsing the body,
/// then reading the access token's lifetime from the JWT), against <see cref="RealisticTokenEndpoint"/> in memory.
/// "Allocated" is the allocations per token request. <see cref="InMemoryEndpointAlone"/> is what the endpoint itself
/// allocates per answer, so the library's share is a row minus it; <see cref="HandWrittenClientCredentials"/> is the
/// least a token request costs on the same HttpClient with System.Text.Json (a form, a Basic header, the body as
/// bytes, one JsonDocument), for scale.
/// </summary>
[MemoryDiagnoser]
public class TokenRequestBenchmarks : IDisposable
{
    private const string ClientName = "api";
    private static readonly Uri TokenEndpoint = new("https://sso.test/token");
    private static readonly AuthenticationHeaderValue Basic = ClientAuthenticator.BasicCredentials("bench", "secret");

    private ServiceProvider _services = null!;
    private Redeemer _redeemer = null!;
    private HttpClient _tokenHttpClient = null!;
    private HttpMessageInvoker _endpointAlone = null!;
    private HttpRequestMessage _endpointAloneRequest = null!;

    [GlobalSetup]
    public async Task SetUpAsync()
    {
        if (RealisticTokenEndpoint.AccessToken.Length is < 850 or > 950)
        {
            throw new InvalidOperationException($"The access token should be about 900 characters, it is {RealisticTokenEndpoint.AccessToken.Length}.");
        }

        var services = new ServiceCollection();
        services.AddHttpClient(ClientName).AddOfflineBearerHandler(o =>
        {
            o.TokenEndpoint = TokenEndpoint;
            o.ClientId = "bench";
            o.ClientSecret = "secret";
            o.Scope = "openid offline_access api";
        });
        services.AddHttpClient(OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName(ClientName))
            .ConfigurePrimaryHttpMessageHandler(() => new RealisticTokenEndpoint());
        _services = services.BuildServiceProvider();

        // The endpoint client exactly as the token holder registry builds it for the named client.
        var factory = _services.GetRequiredService<IHttpClientFactory>();
        var options = _services.GetRequiredService<IOptionsMonitor<OfflineBearerOptions>>().Get(ClientName);
        var time = _services.GetRequiredService<TimeProvider>();
        _redeemer = new Redeemer(TokenEndpointClient.Create(
            new ClientContext(ClientName, options, time, NullLogger.Instance, new ClientTelemetry(ClientName, _services.GetService<OfflineBearerMetrics>())), factory));
        _tokenHttpClient = factory.CreateClient(OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName(ClientName));
        _endpointAlone = new HttpMessageInvoker(new RealisticTokenEndpoint());
        _endpointAloneRequest = new HttpRequestMessage(HttpMethod.Post, TokenEndpoint);

        // Every row must get the token, or it measures a failure path.
        foreach (var row in new Func<Task<string>>[] { ClientCredentialsGrant, RefreshTokenGrant, HandWrittenClientCredentials })
        {
            if (await row() != RealisticTokenEndpoint.AccessToken)
            {
                throw new InvalidOperationException("A token request did not return the endpoint's access token.");
            }
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _endpointAlone?.Dispose();
        _endpointAloneRequest?.Dispose();
        _tokenHttpClient?.Dispose();
        _services?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>client_credentials: what a confidential client without a refresh token sends.</summary>
    [Benchmark(Baseline = true)]
    public Task<string> ClientCredentialsGrant() => RedeemAsync(refreshToken: null);

    /// <summary>refresh_token: what a client holding an offline token sends.</summary>
    [Benchmark]
    public Task<string> RefreshTokenGrant() => RedeemAsync(RealisticTokenEndpoint.RefreshToken);

    /// <summary>The in-memory endpoint's own answer (message, content, content type), without any client.</summary>
    [Benchmark]
    public async Task<int> InMemoryEndpointAlone()
    {
        using var response = await _endpointAlone.SendAsync(_endpointAloneRequest, CancellationToken.None);
        return (int)response.StatusCode;
    }

    /// <summary>The least a client_credentials request costs on the same token HttpClient: no retries, no checks.</summary>
    [Benchmark]
    public async Task<string> HandWrittenClientCredentials()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, TokenEndpoint)
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("scope", "openid offline_access api")]),
        };
        request.Headers.Authorization = Basic;
        using var response = await _tokenHttpClient.SendAsync(request, CancellationToken.None);
        var body = await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("access_token").GetString()!;
    }

    private async Task<string> RedeemAsync(string? refreshToken)
    {
        var sentAt = TimeProvider.System.GetTimestamp();
        var redemption = await _redeemer.RedeemAsync(refreshToken, CancellationToken.None);
        return TokenResult.From(redemption, sentAt, TimeProvider.System, keys: null).AccessToken;
    }
}
