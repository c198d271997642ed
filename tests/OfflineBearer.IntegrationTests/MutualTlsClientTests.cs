using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Testing;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

/// <summary>
/// Mutual TLS end to end (#12, RFC 8705): the library's clients against the development server on https, which trusts a
/// client certificate authority for <c>tls-client</c> and holds <c>self-signed-tls-client</c>'s certificate, answers at
/// its <c>mtls_endpoint_aliases</c>, binds access tokens to the certificate, and has an API that holds a bound token to
/// the connection's certificate. Only options change from a secret client; the token endpoint's client is told to trust
/// the server's throwaway certificate, as a user trusts a private root.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class MutualTlsClientTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromMinutes(5);

    private readonly string _directory = Directory.CreateTempSubdirectory("offlinebearer-it-certs-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly X509Certificate2 _serverCertificate = TestCertificates.CreateServerCertificate();
    private readonly X509Certificate2 _authority = TestCertificates.CreateAuthority();
    private readonly X509Certificate2 _selfSigned = TestCertificates.CreateSelfSignedClientCertificate();
    private readonly X509Certificate2 _clientCertificate;
    private TestTokenServer _server = null!;

    public MutualTlsClientTests() => _clientCertificate = TestCertificates.CreateClientCertificate(_authority);

    public async Task InitializeAsync() => _server = await TestTokenServer.StartAsync(new TestTokenServerOptions
    {
        ServerCertificate = _serverCertificate,
        TlsClientCertificateAuthority = _authority,
        SelfSignedTlsClientCertificate = _selfSigned,
        AccessTokenLifetime = AccessTokenLifetime,
        TimeProvider = _time,
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        _clientCertificate.Dispose();
        _serverCertificate.Dispose();
        _authority.Dispose();
        _selfSigned.Dispose();
    }

    [Fact]
    public async Task A_tls_client_with_certificate_files_gets_tokens_at_the_alias_calls_the_api_with_the_same_certificate_and_refreshes()
    {
        var (path, keyPath) = WritePem(_clientCertificate, "tls-client");
        await using var harness = Harness();
        harness.AddClient("gateway", o =>
        {
            o.ClientId = TestTokenServer.TlsClientId;
            o.ClientAuthentication = ClientAuthenticationMethod.TlsClientAuth;
            o.ClientCertificatePath = path;
            o.ClientCertificateKeyPath = keyPath;
            o.Scope = TestTokenServer.OfflineScope;
        }).ConfigurePrimaryHttpMessageHandler(() => _server.CreateHttpHandler(_clientCertificate));
        TrustTheServer(harness, "gateway");

        using var first = await harness.SendPingAsync("gateway");
        harness.AdvancePastExpiry();
        using var second = await harness.SendPingAsync("gateway");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((TestTokenServer.TlsClientId, TestTokenServer.TlsClientId), await DevServerHarness.ReadCallerAsync(second));
        Assert.Equal(1, harness.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Equal(1, harness.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(2, harness.Ledger.MtlsTokenRequests);
        Assert.Equal(0, harness.Ledger.FailedTokenRequests);
        Assert.Equal(0, harness.Ledger.ApiCertificateBindingRefusals);
        Assert.Equal(Thumbprint(_clientCertificate), BoundThumbprint(harness.BearerTokensSent("gateway")[^1]));
    }

    [Fact]
    public async Task A_self_signed_client_from_a_pkcs12_file_refreshes_and_its_token_stolen_from_the_wire_is_refused_without_the_certificate()
    {
        var path = Path.Combine(_directory, "self-signed.p12");
        await File.WriteAllBytesAsync(path, _selfSigned.Export(X509ContentType.Pkcs12, "p12-password"));
        await using var harness = Harness();
        harness.AddClient("gateway", o =>
        {
            o.ClientId = TestTokenServer.SelfSignedTlsClientId;
            o.ClientAuthentication = ClientAuthenticationMethod.SelfSignedTlsClientAuth;
            o.ClientCertificatePath = path;
            o.ClientCertificatePassword = "p12-password";
            o.Scope = TestTokenServer.OfflineScope;
        }).ConfigurePrimaryHttpMessageHandler(() => _server.CreateHttpHandler(_selfSigned));
        TrustTheServer(harness, "gateway");

        using var first = await harness.SendPingAsync("gateway");
        harness.AdvancePastExpiry();
        using var response = await harness.SendPingAsync("gateway");
        var token = harness.BearerTokensSent("gateway")[^1];
        using var thief = new HttpClient(_server.CreateHttpHandler());
        using var stolen = new HttpRequestMessage(HttpMethod.Get, new Uri(_server.ApiUrl, "ping"));
        stolen.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var replayed = await thief.SendAsync(stolen);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((TestTokenServer.SelfSignedTlsClientId, TestTokenServer.SelfSignedTlsClientId), await DevServerHarness.ReadCallerAsync(response));
        Assert.Equal(1, harness.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        Assert.Equal(1, harness.Ledger.ApiCertificateBindingRefusals);
    }

    [Fact]
    public async Task An_api_client_not_given_the_certificate_gets_one_new_token_and_then_the_401_not_a_loop()
    {
        await using var harness = Harness();
        harness.AddClient("gateway", o =>
        {
            o.ClientId = TestTokenServer.TlsClientId;
            o.ClientAuthentication = ClientAuthenticationMethod.TlsClientAuth;
            o.ClientCertificate = _clientCertificate;
            o.Scope = TestTokenServer.OfflineScope;
        }).ConfigurePrimaryHttpMessageHandler(() => _server.CreateHttpHandler());
        TrustTheServer(harness, "gateway");

        using var response = await harness.SendPingAsync("gateway");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(2, harness.Ledger.TokenRequests());
        Assert.Equal(2, harness.Ledger.ApiCertificateBindingRefusals);
    }

    [Fact]
    public async Task A_certificate_the_server_does_not_trust_is_refused_and_the_error_says_what_to_check()
    {
        using var stranger = TestCertificates.CreateSelfSignedClientCertificate("stranger");
        await using var harness = Harness();
        harness.AddClient("gateway", o =>
        {
            o.ClientId = TestTokenServer.TlsClientId;
            o.ClientAuthentication = ClientAuthenticationMethod.TlsClientAuth;
            o.ClientCertificate = stranger;
        });
        TrustTheServer(harness, "gateway");

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => harness.SendPingAsync("gateway"));

        Assert.Equal("invalid_client", error.Error);
        Assert.Contains("does not accept this client's certificate", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, harness.Ledger.FailedTokenRequests);
        Assert.Equal(1, harness.Ledger.MtlsTokenRequests);
    }

    [Fact]
    public async Task A_secret_client_keeps_the_plain_token_endpoint_and_gets_unbound_tokens()
    {
        await using var harness = Harness();
        harness.AddBasicClient("gateway").ConfigurePrimaryHttpMessageHandler(() => _server.CreateHttpHandler());
        TrustTheServer(harness, "gateway");

        using var response = await harness.SendPingAsync("gateway");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, harness.Ledger.MtlsTokenRequests);
        Assert.Null(BoundThumbprint(harness.BearerTokensSent("gateway").Single()));
    }

    private DevServerHarness Harness() => DevServerHarness.Create(new SharedDevServer(_server, _time, AccessTokenLifetime));

    /// <summary>The token endpoint's client trusts the server's throwaway certificate; the library adds the client's own.</summary>
    private void TrustTheServer(DevServerHarness harness, string client) =>
        harness.TokenEndpointClient(client).ConfigurePrimaryHttpMessageHandler(() => _server.CreateHttpHandler());

    private (string Path, string KeyPath) WritePem(X509Certificate2 certificate, string name)
    {
        var path = Path.Combine(_directory, name + ".crt");
        var keyPath = Path.Combine(_directory, name + ".key");
        File.WriteAllText(path, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (path, keyPath);
    }

    private static string Thumbprint(X509Certificate2 certificate) =>
        Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(certificate.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256));

    private static string? BoundThumbprint(string accessToken) =>
        DevServerDPoPClient.PayloadOf(accessToken).TryGetProperty("cnf", out var cnf) ? cnf.GetProperty("x5t#S256").GetString() : null;
}
