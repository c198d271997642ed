using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using OfflineBearer.Testing;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

/// <summary>
/// Mutual TLS (RFC 8705) in the development server, driven with raw HTTP over real TLS on loopback: the certificate
/// clients authenticate with their certificates alone at the token endpoint's alias, their access tokens are bound to
/// the certificate, the API holds a bound token to the connection's certificate, and secret clients see no change. It has
/// a server of its own, and joins the shared collection so it never competes for the CPU with another server's tests.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class DevServerMutualTlsTests : IClassFixture<DevServerTlsFixture>, IDisposable
{
    private const string Scope = "api offline_access";

    private readonly DevServerTlsFixture _fixture;
    private readonly TestTokenServer _server;
    private readonly List<IDisposable> _disposables = [];

    public DevServerMutualTlsTests(DevServerTlsFixture fixture)
    {
        _fixture = fixture;
        _server = fixture.Server;
        _server.Ledger.Reset();
    }

    public void Dispose()
    {
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }
    }

    [Fact]
    public async Task Discovery_over_https_names_the_mtls_token_endpoint_alias_and_the_certificate_methods()
    {
        using var http = Client(certificate: null);

        using var discovery = JsonDocument.Parse(await http.GetStringAsync(_server.DiscoveryEndpoint));

        var root = discovery.RootElement;
        var methods = root.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(m => m.GetString()).ToArray();
        Assert.Equal(Uri.UriSchemeHttps, _server.Authority.Scheme);
        Assert.Equal(_server.Authority.AbsoluteUri, root.GetProperty("issuer").GetString());
        Assert.Equal(_server.TokenEndpoint.AbsoluteUri, root.GetProperty("token_endpoint").GetString());
        Assert.Equal(_server.MtlsTokenEndpoint.AbsoluteUri, root.GetProperty("mtls_endpoint_aliases").GetProperty("token_endpoint").GetString());
        Assert.Equal(_server.MtlsRevocationEndpoint.AbsoluteUri, root.GetProperty("mtls_endpoint_aliases").GetProperty("revocation_endpoint").GetString());
        Assert.NotEqual(_server.TokenEndpoint, _server.MtlsTokenEndpoint);
        Assert.Contains("tls_client_auth", methods);
        Assert.Contains("self_signed_tls_client_auth", methods);
        Assert.True(root.GetProperty("tls_client_certificate_bound_access_tokens").GetBoolean());
    }

    [Fact]
    public async Task The_tls_client_gets_tokens_bound_to_its_certificate_at_the_mtls_alias()
    {
        var certificate = ClientCertificate();

        var answer = await ClientCredentialsAsync(certificate, TestTokenServer.TlsClientId);

        var payload = DevServerDPoPClient.PayloadOf(answer.AccessToken);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("Bearer", answer.String("token_type"));
        Assert.Equal(TestTokenServer.TlsClientId, payload.GetProperty("client_id").GetString());
        Assert.Equal(Thumbprint(certificate), payload.GetProperty("cnf").GetProperty("x5t#S256").GetString());
        Assert.NotNull(answer.String("refresh_token"));
        Assert.Equal(1, _server.Ledger.MtlsTokenRequests);
        Assert.Equal(0, _server.Ledger.FailedTokenRequests);
    }

    [Fact]
    public async Task The_tls_clients_refresh_token_works_with_the_same_certificate()
    {
        var certificate = ClientCertificate();
        var first = await ClientCredentialsAsync(certificate, TestTokenServer.TlsClientId);

        var refreshed = await RequestAsync(certificate, _server.MtlsTokenEndpoint, new()
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = TestTokenServer.TlsClientId,
            ["refresh_token"] = first.RefreshToken,
        });

        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.Equal(Thumbprint(certificate), DevServerDPoPClient.PayloadOf(refreshed.AccessToken).GetProperty("cnf").GetProperty("x5t#S256").GetString());
        Assert.NotEqual(first.RefreshToken, refreshed.RefreshToken);
        Assert.Equal(2, _server.Ledger.MtlsTokenRequests);
        Assert.Equal(1, _server.Ledger.TokenRequests(grant: "refresh_token"));
    }

    [Fact]
    public async Task The_tls_client_revokes_its_refresh_token_at_the_mtls_revocation_alias_with_its_certificate()
    {
        var certificate = ClientCertificate();
        var refreshToken = (await ClientCredentialsAsync(certificate, TestTokenServer.TlsClientId)).RefreshToken;
        using var http = Client(certificate);
        using var revocation = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = TestTokenServer.TlsClientId,
            ["token"] = refreshToken,
            ["token_type_hint"] = "refresh_token",
        });

        using var revoked = await http.PostAsync(_server.MtlsRevocationEndpoint, revocation);
        var refresh = await RequestAsync(certificate, _server.MtlsTokenEndpoint, new()
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = TestTokenServer.TlsClientId,
            ["refresh_token"] = refreshToken,
        });

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal("invalid_grant", refresh.String("error"));
    }

    [Fact]
    public async Task The_tls_client_is_refused_without_a_certificate()
    {
        var answer = await ClientCredentialsAsync(certificate: null, TestTokenServer.TlsClientId);

        AssertInvalidClient(answer);
        Assert.Equal(1, _server.Ledger.MtlsTokenRequests);
        Assert.Equal(1, _server.Ledger.FailedTokenRequests);
    }

    [Fact]
    public async Task The_tls_client_is_refused_with_a_certificate_from_another_authority()
    {
        using var otherAuthority = TestCertificates.CreateAuthority("Some Other CA");
        var certificate = Own(TestCertificates.CreateClientCertificate(otherAuthority));

        var answer = await ClientCredentialsAsync(certificate, TestTokenServer.TlsClientId);

        AssertInvalidClient(answer);
    }

    [Fact]
    public async Task The_tls_client_is_refused_with_a_certificate_from_the_authority_for_another_name()
    {
        var certificate = Own(TestCertificates.CreateClientCertificate(_fixture.Authority, "someone-else.offlinebearer.test"));

        var answer = await ClientCredentialsAsync(certificate, TestTokenServer.TlsClientId);

        AssertInvalidClient(answer);
    }

    [Fact]
    public async Task The_tls_client_is_refused_with_a_self_signed_certificate()
    {
        var answer = await ClientCredentialsAsync(_fixture.SelfSignedClientCertificate, TestTokenServer.TlsClientId);

        AssertInvalidClient(answer);
    }

    [Fact]
    public async Task The_tls_client_is_refused_when_it_sends_a_secret_besides_its_certificate()
    {
        var answer = await RequestAsync(ClientCertificate(), _server.MtlsTokenEndpoint, new()
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = TestTokenServer.TlsClientId,
            ["client_secret"] = "a guess",
            ["scope"] = Scope,
        });

        AssertInvalidClient(answer);
    }

    [Fact]
    public async Task The_self_signed_client_gets_bound_tokens_with_its_registered_certificate()
    {
        var certificate = _fixture.SelfSignedClientCertificate;

        var answer = await ClientCredentialsAsync(certificate, TestTokenServer.SelfSignedTlsClientId);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(Thumbprint(certificate), DevServerDPoPClient.PayloadOf(answer.AccessToken).GetProperty("cnf").GetProperty("x5t#S256").GetString());
    }

    [Fact]
    public async Task The_self_signed_client_is_refused_with_another_self_signed_certificate()
    {
        var certificate = Own(TestCertificates.CreateSelfSignedClientCertificate());

        var answer = await ClientCredentialsAsync(certificate, TestTokenServer.SelfSignedTlsClientId);

        AssertInvalidClient(answer);
    }

    [Fact]
    public async Task The_self_signed_client_is_refused_with_a_certificate_from_the_authority()
    {
        var answer = await ClientCredentialsAsync(ClientCertificate(), TestTokenServer.SelfSignedTlsClientId);

        AssertInvalidClient(answer);
    }

    [Fact]
    public async Task The_API_accepts_a_bound_token_over_a_connection_with_the_same_certificate()
    {
        var certificate = ClientCertificate();
        var token = (await ClientCredentialsAsync(certificate, TestTokenServer.TlsClientId)).AccessToken;

        using var response = await PingAsync(certificate, token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((TestTokenServer.TlsClientId, TestTokenServer.TlsClientId), await DevServerHarness.ReadCallerAsync(response));
        Assert.Equal(0, _server.Ledger.ApiRequests(rejected: true));
        Assert.Equal(0, _server.Ledger.ApiCertificateBindingRefusals);
    }

    [Fact]
    public async Task The_API_refuses_a_stolen_bound_token_over_a_connection_without_a_certificate()
    {
        var token = (await ClientCredentialsAsync(ClientCertificate(), TestTokenServer.TlsClientId)).AccessToken;

        using var response = await PingAsync(certificate: null, token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_token", ErrorOf(response));
        Assert.Equal(1, _server.Ledger.ApiRequests(rejected: true));
        Assert.Equal(1, _server.Ledger.ApiCertificateBindingRefusals);
    }

    [Fact]
    public async Task The_API_refuses_a_bound_token_over_a_connection_with_another_certificate()
    {
        var token = (await ClientCredentialsAsync(ClientCertificate(), TestTokenServer.TlsClientId)).AccessToken;

        using var response = await PingAsync(ClientCertificate(), token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(1, _server.Ledger.ApiCertificateBindingRefusals);
    }

    [Fact]
    public async Task A_DPoP_proof_with_a_certificate_binds_the_token_to_both_and_the_API_wants_both()
    {
        var certificate = ClientCertificate();
        using var key = new DPoPKey(TimeProvider.System);
        var answer = await RequestAsync(certificate, _server.MtlsTokenEndpoint, new()
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = TestTokenServer.TlsClientId,
            ["scope"] = Scope,
        }, key.Proof(HttpMethod.Post, _server.MtlsTokenEndpoint));
        var token = answer.AccessToken;

        using var both = await PingAsync(certificate, token, "DPoP", key.Proof(HttpMethod.Get, Ping, token));
        using var proofOnly = await PingAsync(certificate: null, token, "DPoP", key.Proof(HttpMethod.Get, Ping, token));
        using var certificateOnly = await PingAsync(certificate, token);

        var confirmation = DevServerDPoPClient.PayloadOf(token).GetProperty("cnf");
        Assert.Equal("DPoP", answer.String("token_type"));
        Assert.Equal(Thumbprint(certificate), confirmation.GetProperty("x5t#S256").GetString());
        Assert.Equal(key.Thumbprint, confirmation.GetProperty("jkt").GetString());
        Assert.Equal(HttpStatusCode.OK, both.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, proofOnly.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, certificateOnly.StatusCode);
        Assert.Equal(1, _server.Ledger.ApiCertificateBindingRefusals);
        Assert.Equal(1, _server.Ledger.ApiDPoPProofsRefused);
    }

    [Fact]
    public async Task A_secret_client_works_over_https_without_a_certificate_and_its_token_is_unbound()
    {
        using var http = Client(certificate: null);
        using var request = new HttpRequestMessage(HttpMethod.Post, _server.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = Scope }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{TestTokenServer.BasicClientId}:{TestTokenServer.BasicClientSecret}")));
        using var response = await http.SendAsync(request);
        var answer = await AnswerOf(response);

        using var ping = await PingAsync(certificate: null, answer.AccessToken);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.False(DevServerDPoPClient.PayloadOf(answer.AccessToken).TryGetProperty("cnf", out _));
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        Assert.Equal(0, _server.Ledger.MtlsTokenRequests);
    }

    [Fact]
    public async Task The_server_handler_trusts_only_the_servers_own_certificate()
    {
        await using var other = await TestTokenServer.StartAsync(new TestTokenServerOptions { ServerCertificate = _fixture.ServerCertificate });
        using var otherCertificate = TestCertificates.CreateServerCertificate();
        await using var impostor = await TestTokenServer.StartAsync(new TestTokenServerOptions { ServerCertificate = otherCertificate });
        using var http = Client(certificate: null);

        using var trusted = await http.GetAsync(other.DiscoveryEndpoint);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(impostor.DiscoveryEndpoint));

        Assert.Equal(HttpStatusCode.OK, trusted.StatusCode);
        Assert.Equal(HttpRequestError.SecureConnectionError, refused.HttpRequestError);
    }

    [Fact]
    public async Task An_https_url_without_a_server_certificate_is_refused_with_a_message_that_says_what_to_set()
    {
        var refused = await Assert.ThrowsAsync<ArgumentException>(() =>
            TestTokenServer.StartAsync(new TestTokenServerOptions { Url = "https://127.0.0.1:0" }));

        Assert.Contains("ServerCertificate", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_without_a_certificate_has_no_mtls_alias()
    {
        await using var plain = await TestTokenServer.StartAsync();

        var refused = Assert.Throws<InvalidOperationException>(() => plain.MtlsTokenEndpoint);

        Assert.Equal(Uri.UriSchemeHttp, plain.Authority.Scheme);
        Assert.Contains("ServerCertificate", refused.Message, StringComparison.Ordinal);
    }

    private static void AssertInvalidClient(Answer answer)
    {
        Assert.True(answer.Status is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, $"HTTP {(int)answer.Status} {answer.Json}");
        Assert.True(answer.String("error") == "invalid_client", $"Expected invalid_client: {answer.Json}");
        Assert.Null(answer.String("access_token"));
    }

    private static string Thumbprint(X509Certificate2 certificate) => Base64UrlEncoder.Encode(SHA256.HashData(certificate.RawData));

    private static string? ErrorOf(HttpResponseMessage response) =>
        response.Headers.WwwAuthenticate.Select(challenge => challenge.Parameter).FirstOrDefault(parameter => parameter is not null) is { } parameter
        && parameter.Split(',').Select(part => part.Trim()).FirstOrDefault(part => part.StartsWith("error=", StringComparison.Ordinal)) is { } error
            ? error["error=".Length..].Trim('"')
            : null;

    private X509Certificate2 ClientCertificate() => Own(TestCertificates.CreateClientCertificate(_fixture.Authority));

    private X509Certificate2 Own(X509Certificate2 certificate)
    {
        _disposables.Add(certificate);
        return certificate;
    }

    private Uri Ping => new(_server.ApiUrl, "ping");

    private HttpClient Client(X509Certificate2? certificate) => new(_server.CreateHttpHandler(certificate));

    private Task<Answer> ClientCredentialsAsync(X509Certificate2? certificate, string clientId) =>
        RequestAsync(certificate, _server.MtlsTokenEndpoint, new()
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["scope"] = Scope,
        });

    private async Task<Answer> RequestAsync(X509Certificate2? certificate, Uri endpoint, Dictionary<string, string> form, string? proof = null)
    {
        using var http = Client(certificate);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new FormUrlEncodedContent(form) };
        if (proof is not null)
        {
            request.Headers.Add("DPoP", proof);
        }

        using var response = await http.SendAsync(request);
        return await AnswerOf(response);
    }

    private async Task<HttpResponseMessage> PingAsync(X509Certificate2? certificate, string token, string scheme = "Bearer", string? proof = null)
    {
        using var http = Client(certificate);
        using var request = new HttpRequestMessage(HttpMethod.Get, Ping);
        request.Headers.Authorization = new AuthenticationHeaderValue(scheme, token);
        if (proof is not null)
        {
            request.Headers.Add("DPoP", proof);
        }

        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static async Task<Answer> AnswerOf(HttpResponseMessage response)
    {
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return new Answer(response.StatusCode, body.RootElement.Clone());
    }

    private sealed record Answer(HttpStatusCode Status, JsonElement Json)
    {
        public string? String(string name) => Json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        public string AccessToken => String("access_token") ?? throw new InvalidOperationException($"No access token: HTTP {(int)Status} {Json}");

        public string RefreshToken => String("refresh_token") ?? throw new InvalidOperationException($"No refresh token: HTTP {(int)Status} {Json}");
    }
}
