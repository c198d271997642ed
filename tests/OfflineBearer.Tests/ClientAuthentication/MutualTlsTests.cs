using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OfflineBearer.Tooling;
using OfflineBearer.ClientAuthentication;
using OfflineBearer.Stores;
using OfflineBearer.Tests.Support;
using OfflineBearer.TokenEndpoint;
using OfflineBearer.Validation;

namespace OfflineBearer.Tests.ClientAuthentication;

/// <summary>
/// Mutual TLS client authentication (#12, RFC 8705): the certificate proves the client, so the form carries its id alone;
/// the client is confidential; discovery's <c>mtls_endpoint_aliases</c> win; the certificate is read and checked at start,
/// reaches the token endpoint's handler whatever its kind, is read again when its file changes, and never shows its key.
/// </summary>
public sealed class MutualTlsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("offlinebearer-certs-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(ClientAuthenticationMethod.TlsClientAuth)]
    [InlineData(ClientAuthenticationMethod.SelfSignedTlsClientAuth)]
    public async Task The_form_carries_the_client_id_alone_on_every_grant(ClientAuthenticationMethod method)
    {
        using var certificate = TestCertificates.Create();
        using var harness = new Harness(o => CertificateInCode(o, certificate, method));
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(
            harness.IssueJwt(TimeSpan.FromMinutes(5)), refreshToken: harness.IssueRefreshToken())));
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        (await client.GetAsync("items")).Dispose();

        var requests = harness.TokenRequests.ToArray();
        Assert.Equal([GrantTypes.ClientCredentials, GrantTypes.RefreshToken], requests.Select(r => r.GrantType));
        Assert.All(requests, request =>
        {
            Assert.Null(request.Authorization);
            Assert.Equal(Harness.ClientId, request.Form["client_id"]);
            Assert.False(request.Form.ContainsKey("client_secret"));
            Assert.False(request.Form.ContainsKey("client_assertion"));
        });
    }

    [Fact]
    public async Task A_refused_refresh_token_falls_back_to_client_credentials_as_for_any_confidential_client()
    {
        using var certificate = TestCertificates.Create();
        using var harness = new Harness(
            o =>
            {
                CertificateInCode(o, certificate, ClientAuthenticationMethod.TlsClientAuth);
                o.RefreshToken = "spent-offline-token";
            },
            userDefaults: true);
        harness.OnToken = request => Task.FromResult(request.GrantType == GrantTypes.RefreshToken
            ? EndpointServer.Error("invalid_grant", "Token is not active")
            : Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)))));
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([GrantTypes.RefreshToken, GrantTypes.ClientCredentials], harness.TokenRequests.Select(r => r.GrantType));
    }

    [Theory]
    [InlineData(ClientAuthenticationMethod.SelfSignedTlsClientAuth, "registered self-signed certificate (self_signed_tls_client_auth)")]
    [InlineData(ClientAuthenticationMethod.TlsClientAuth, "a CA-issued certificate (tls_client_auth) and the subject it expects")]
    public async Task A_refused_certificate_says_what_to_check_with_user_defaults(ClientAuthenticationMethod method, string advice)
    {
        using var certificate = TestCertificates.Create();
        using var harness = new Harness(o => CertificateInCode(o, certificate, method), userDefaults: true);
        harness.OnToken = _ => Task.FromResult(EndpointServer.Error("invalid_client", "Invalid client certificate", HttpStatusCode.Unauthorized));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal("invalid_client", error.Error);
        Assert.Contains("does not accept this client's certificate", error.Message, StringComparison.Ordinal);
        Assert.Contains(advice, error.Message, StringComparison.Ordinal);
        Assert.Single(harness.TokenRequests);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task With_a_certificate_discovery_aliases_win_and_without_one_they_are_ignored(bool withCertificate)
    {
        using var certificate = TestCertificates.Create();
        const string alias = "https://mtls.sso.test/realms/prod/protocol/openid-connect/token";
        const string revocationAlias = "https://mtls.sso.test/realms/prod/protocol/openid-connect/revoke";
        using var server = new EndpointServer();
        server.Discovery["mtls_endpoint_aliases"] = new Dictionary<string, string>
        {
            ["token_endpoint"] = alias,
            ["revocation_endpoint"] = revocationAlias,
            ["device_authorization_endpoint"] = "not a url",
        };
        var endpoint = server.Client(o =>
        {
            o.ClientCertificate = withCertificate ? certificate : null;
            o.ClientAuthentication = withCertificate ? ClientAuthenticationMethod.TlsClientAuth : ClientAuthenticationMethod.ClientSecretBasic;
            o.ClientSecret = withCertificate ? null : EndpointServer.ClientSecret;
        });
        server.OnRequest = request => Task.FromResult(request.Uri.AbsolutePath.EndsWith("/revoke", StringComparison.Ordinal)
            ? new HttpResponseMessage(HttpStatusCode.OK)
            : Harness.Json(TokenJson.Success("access")));

        await endpoint.RequestAsync(TokenGrant.ClientCredentials(scope: null), CancellationToken.None);
        await endpoint.RevokeAsync("refresh", "refresh_token", CancellationToken.None);
        var device = await endpoint.Discovery.GetMetadataAsync(CancellationToken.None);

        Assert.Equal(
            withCertificate ? [new Uri(alias), new Uri(revocationAlias)] : [EndpointServer.TokenEndpoint, EndpointServer.RevocationEndpoint],
            server.Calls.Select(r => r.Uri));
        Assert.Equal(EndpointServer.DeviceEndpoint, device.DeviceAuthorizationEndpoint);
    }

    [Fact]
    public async Task A_plain_http_alias_is_refused_while_RequireHttps_is_on()
    {
        using var certificate = TestCertificates.Create();
        using var server = new EndpointServer();
        server.Discovery["mtls_endpoint_aliases"] = new Dictionary<string, string> { ["token_endpoint"] = "http://mtls.sso.test/token" };
        var endpoint = server.Client(o =>
        {
            o.ClientCertificate = certificate;
            o.ClientAuthentication = ClientAuthenticationMethod.TlsClientAuth;
            o.ClientSecret = null;
        });

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => endpoint.RequestAsync(TokenGrant.ClientCredentials(scope: null), CancellationToken.None));

        Assert.Contains("plain http token endpoint (http://mtls.sso.test/token)", error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Calls);
    }

    [Fact]
    public void The_token_endpoint_handler_presents_the_certificate_whatever_the_server_names_and_still_follows_no_redirect()
    {
        using var certificate = TestCertificates.Create();
        using var services = Services(o => o.ClientCertificate = certificate);

        var sockets = PrimaryHandler<SocketsHttpHandler>(services);

        Assert.False(sockets.AllowAutoRedirect);
        Assert.Same(certificate, sockets.SslOptions.LocalCertificateSelectionCallback!(this, "sso.test", [], null, []));
        Assert.Null(sockets.SslOptions.ClientCertificates);
    }

    [Fact]
    public void A_user_HttpClientHandler_gets_the_certificate_in_its_list()
    {
        using var certificate = TestCertificates.Create();
        using var services = Services(
            o => o.ClientCertificate = certificate,
            tokenClient => tokenClient.ConfigurePrimaryHttpMessageHandler(() => new HttpClientHandler()));

        var handler = PrimaryHandler<HttpClientHandler>(services);

        Assert.False(handler.AllowAutoRedirect);
        Assert.Equal(ClientCertificateOption.Manual, handler.ClientCertificateOptions);
        Assert.Same(certificate, Assert.Single(handler.ClientCertificates));
    }

    [Fact]
    public void Without_a_certificate_the_handler_gets_none()
    {
        using var services = Services(o => o.ClientSecret = "secret");

        var sockets = PrimaryHandler<SocketsHttpHandler>(services);

        Assert.Null(sockets.SslOptions.LocalCertificateSelectionCallback);
        Assert.Null(sockets.SslOptions.ClientCertificates);
    }

    [Fact]
    public void Options_that_fail_validation_give_a_handler_without_a_certificate_rather_than_an_exception()
    {
        // A public client without a store: invalid for a service, and what offline-token's login without --store runs as.
        using var services = Services(o => o.ClientAuthentication = ClientAuthenticationMethod.ClientSecretBasic);

        var sockets = PrimaryHandler<SocketsHttpHandler>(services);

        Assert.Null(sockets.SslOptions.LocalCertificateSelectionCallback);
        Assert.False(sockets.AllowAutoRedirect);
        Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptionsMonitor<OfflineBearerOptions>>().Get(Harness.ClientName));
    }

    [Fact]
    public void A_renewed_certificate_file_is_read_again_and_a_half_written_one_keeps_the_previous()
    {
        using var first = TestCertificates.Create("CN=first");
        using var renewed = TestCertificates.Create("CN=renewed");
        var path = TestCertificates.WritePem(_directory, first);
        var written = File.GetLastWriteTimeUtc(path);
        using var services = Services(o => o.ClientCertificatePath = path);
        var certificates = services.GetRequiredService<ClientCertificates>();

        var atStart = certificates.Get(Harness.ClientName);
        var unchanged = certificates.Get(Harness.ClientName);
        File.WriteAllText(path, TestCertificates.CertificatePem(renewed) + TestCertificates.KeyPem(renewed));
        File.SetLastWriteTimeUtc(path, written.AddMinutes(1));
        var afterRenewal = certificates.Get(Harness.ClientName);
        File.WriteAllText(path, TestCertificates.CertificatePem(first)[..40]);
        File.SetLastWriteTimeUtc(path, written.AddMinutes(2));
        var whileHalfWritten = certificates.Get(Harness.ClientName);

        Assert.Equal(first.Thumbprint, atStart!.Thumbprint);
        Assert.Same(atStart, unchanged);
        Assert.Equal(renewed.Thumbprint, afterRenewal!.Thumbprint);
        Assert.Same(afterRenewal, whileHalfWritten);
    }

    [Fact]
    public void A_renewal_that_leaves_the_certificate_file_older_than_its_new_key_is_read_again_and_disposal_ends_what_was_read()
    {
        using var first = TestCertificates.Create("CN=first");
        using var renewed = TestCertificates.Create("CN=renewed");
        var path = Path.Combine(_directory, "tls.crt");
        var keyPath = Path.Combine(_directory, "tls.key");
        File.WriteAllText(path, TestCertificates.CertificatePem(first));
        File.WriteAllText(keyPath, TestCertificates.KeyPem(first));
        var written = File.GetLastWriteTimeUtc(path);
        File.SetLastWriteTimeUtc(keyPath, written);
        var services = Services(o =>
        {
            o.ClientCertificatePath = path;
            o.ClientCertificateKeyPath = keyPath;
        });
        var certificates = services.GetRequiredService<ClientCertificates>();
        var atStart = certificates.Get(Harness.ClientName)!;

        // The certificate file keeps its old time (a copy that preserves it); only the key's time moves.
        File.WriteAllText(path, TestCertificates.CertificatePem(renewed));
        File.SetLastWriteTimeUtc(path, written);
        File.WriteAllText(keyPath, TestCertificates.KeyPem(renewed));
        File.SetLastWriteTimeUtc(keyPath, written.AddMinutes(1));
        var afterRenewal = certificates.Get(Harness.ClientName)!;
        var (startThumbprint, renewedThumbprint) = (atStart.Thumbprint, afterRenewal.Thumbprint);
        services.Dispose();

        Assert.Equal(first.Thumbprint, startThumbprint);
        Assert.Equal(renewed.Thumbprint, renewedThumbprint);
        Assert.Equal(IntPtr.Zero, afterRenewal.Handle);
    }

    [Fact]
    public void A_file_gone_before_the_first_connection_gives_no_certificate_rather_than_a_broken_client()
    {
        using var certificate = TestCertificates.Create();
        var path = TestCertificates.WritePem(_directory, certificate);
        using var services = Services(o => o.ClientCertificatePath = path);
        _ = services.GetRequiredService<IOptionsMonitor<OfflineBearerOptions>>().Get(Harness.ClientName);
        File.Delete(path);

        var sockets = PrimaryHandler<SocketsHttpHandler>(services);

        Assert.Null(sockets.SslOptions.LocalCertificateSelectionCallback);
    }

    [Fact]
    public void A_certificate_key_in_a_file_of_its_own_is_read()
    {
        using var certificate = TestCertificates.Create(rsa: true);
        var path = Path.Combine(_directory, "tls.crt");
        var keyPath = Path.Combine(_directory, "tls.key");
        File.WriteAllText(path, TestCertificates.CertificatePem(certificate));
        File.WriteAllText(keyPath, TestCertificates.KeyPem(certificate));

        using var loaded = ClientCertificateFile.Load("gateway", new OfflineBearerOptions { ClientCertificatePath = path, ClientCertificateKeyPath = keyPath }, DateTimeOffset.UtcNow);

        Assert.Equal(certificate.Thumbprint, loaded.Thumbprint);
        Assert.True(loaded.HasPrivateKey);
    }

    [Fact]
    public void An_encrypted_pem_key_opens_with_the_password()
    {
        using var certificate = TestCertificates.Create();
        var path = Path.Combine(_directory, "client.pem");
        File.WriteAllText(path, TestCertificates.CertificatePem(certificate) + TestCertificates.KeyPem(certificate, "p4ss"));

        using var loaded = ClientCertificateFile.Load(
            "gateway", new OfflineBearerOptions { ClientCertificatePath = path, ClientCertificatePassword = "p4ss" }, DateTimeOffset.UtcNow);

        Assert.Equal(certificate.Thumbprint, loaded.Thumbprint);
        Assert.True(loaded.HasPrivateKey);
    }

    [Theory]
    [InlineData("p4ss")]
    [InlineData(null)]
    public void A_pkcs12_file_opens_with_its_password_or_none(string? password)
    {
        using var certificate = TestCertificates.Create();
        var path = Path.Combine(_directory, "client.p12");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));

        using var loaded = ClientCertificateFile.Load(
            "gateway", new OfflineBearerOptions { ClientCertificatePath = path, ClientCertificatePassword = password }, DateTimeOffset.UtcNow);

        Assert.Equal(certificate.Thumbprint, loaded.Thumbprint);
        Assert.True(loaded.HasPrivateKey);
    }

    public static TheoryData<string, string> BadCertificates => new()
    {
        { "no certificate", "ClientAuthentication is TlsClientAuth: set ClientCertificatePath (a PEM or PKCS#12 file) or ClientCertificate." },
        { "missing file", "cannot be read (FileNotFoundException)" },
        { "missing key file", "ClientCertificateKeyPath '" },
        { "no key", "is not a PEM certificate with a matching private key (an encrypted key needs ClientCertificatePassword)." },
        { "another key", "is not a PEM certificate with a matching private key in ClientCertificateKeyPath" },
        { "wrong pem password", "or ClientCertificatePassword does not open the key." },
        { "wrong pkcs12 password", "is neither PEM nor a PKCS#12 file that ClientCertificatePassword opens." },
        { "expired", "expired on 2026-11-01 00:00:00Z" },
        { "in code without key", "ClientCertificate has no private key" },
        { "with secret", "ClientSecret is set and ClientAuthentication is TlsClientAuth" },
        { "http endpoint", "ClientAuthentication is TlsClientAuth, which needs TLS: TokenEndpoint must use https." },
        { "http authority", "ClientAuthentication is TlsClientAuth, which needs TLS: Authority must use https." },
    };

    [Theory]
    [MemberData(nameof(BadCertificates))]
    public async Task A_bad_certificate_stops_the_host_at_start_naming_the_problem_and_never_the_key_or_password(string kind, string expected)
    {
        using var certificate = TestCertificates.Create();
        using var other = TestCertificates.Create();
        using var expired = TestCertificates.Create(notAfter: new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        using var publicOnly = X509CertificateLoader.LoadCertificate(certificate.RawData);
        var keyPem = TestCertificates.KeyPem(certificate);
        var secretPart = keyPem.Split('\n')[1];
        var path = Path.Combine(_directory, "client.pem");
        var keyPath = Path.Combine(_directory, "client.key");
        File.WriteAllText(path, kind switch
        {
            "no key" or "another key" => TestCertificates.CertificatePem(certificate),
            "wrong pem password" => TestCertificates.CertificatePem(certificate) + TestCertificates.KeyPem(certificate, "right-password"),
            "expired" => TestCertificates.CertificatePem(expired) + TestCertificates.KeyPem(expired),
            _ => TestCertificates.CertificatePem(certificate) + keyPem,
        });
        File.WriteAllText(keyPath, TestCertificates.KeyPem(other));
        if (kind == "wrong pkcs12 password")
        {
            File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, "right-password"));
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<TimeProvider>(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero)));
        builder.Services.AddHttpClient("gateway").AddOfflineBearerHandler(o =>
        {
            o.Authority = kind == "http authority" ? "http://127.0.0.1:8080/realms/prod" : "https://sso.example.org/realms/prod";
            o.TokenEndpoint = kind == "http endpoint" ? new Uri("http://127.0.0.1:8080/token") : null;
            o.RequireHttps = false;
            o.ClientId = "gateway-client";
            o.ClientAuthentication = ClientAuthenticationMethod.TlsClientAuth;
            o.ClientCertificate = kind == "in code without key" ? publicOnly : null;
            o.ClientCertificatePath = kind switch
            {
                "no certificate" or "in code without key" => null,
                "missing file" => Path.Combine(_directory, "absent.pem"),
                _ => path,
            };
            o.ClientCertificateKeyPath = kind switch
            {
                "another key" => keyPath,
                "missing key file" => Path.Combine(_directory, "absent.key"),
                _ => null,
            };
            o.ClientCertificatePassword = kind is "wrong pem password" or "wrong pkcs12 password" ? "wrong-password" : null;
            o.ClientSecret = kind == "with secret" ? "secret" : null;
        });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("OfflineBearer client 'gateway'", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secretPart[..20], error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("right-password", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password", error.Message, StringComparison.Ordinal);
        if (kind == "expired")
        {
            Assert.Contains(
                $"ClientCertificatePath '{path}' (subject 'CN=inventory-sync', SHA-256 thumbprint {expired.GetCertHashString(HashAlgorithmName.SHA256)}) expired on",
                error.Message,
                StringComparison.Ordinal);
        }

        // A certificate set in code stays the user's: refusing it does not dispose it.
        Assert.NotEqual(IntPtr.Zero, publicOnly.Handle);
    }

    [Fact]
    public void A_certificate_has_expired_at_its_not_after_to_the_second()
    {
        using var certificate = TestCertificates.Create();
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        var options = new OfflineBearerOptions { ClientCertificate = certificate };

        _ = ClientCertificateFile.Load("gateway", options, notAfter.AddSeconds(-1));
        var error = Assert.Throws<InvalidOperationException>(() => ClientCertificateFile.Load("gateway", options, notAfter));

        Assert.Contains("ClientCertificate (subject 'CN=inventory-sync'", error.Message, StringComparison.Ordinal);
        Assert.NotEqual(IntPtr.Zero, certificate.Handle);
    }

    [Fact]
    public async Task Expiry_is_judged_on_the_registered_clock_and_a_certificate_set_in_code_survives_the_start_up_check()
    {
        // Expired by the wall clock, not by the host's clock.
        using var certificate = TestCertificates.Create(notAfter: new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero));
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<TimeProvider>(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero)));
        builder.Services.AddHttpClient("gateway").AddOfflineBearerHandler(o =>
        {
            o.Authority = "https://sso.example.org/realms/prod";
            o.ClientId = "gateway-client";
            o.ClientAuthentication = ClientAuthenticationMethod.TlsClientAuth;
            o.ClientCertificate = certificate;
        });
        using var host = builder.Build();

        await host.StartAsync();
        await host.StopAsync();

        Assert.NotEqual(IntPtr.Zero, certificate.Handle);
    }

    [Fact]
    public void A_certificate_for_bound_tokens_only_may_go_to_a_plain_http_loopback_endpoint()
    {
        using var certificate = TestCertificates.Create();
        var validator = new OfflineBearerOptionsValidator(new InMemoryRefreshTokenStore());

        var result = validator.Validate("gateway", new OfflineBearerOptions
        {
            TokenEndpoint = new Uri("http://127.0.0.1:8080/token"),
            RequireHttps = false,
            ClientId = "gateway-client",
            ClientSecret = "secret",
            ClientCertificate = certificate,
        });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public async Task A_certificate_with_a_secret_method_is_for_bound_tokens_and_the_secret_still_authenticates()
    {
        using var certificate = TestCertificates.Create();
        using var harness = new Harness(o => o.ClientCertificate = certificate);
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();

        var request = Assert.Single(harness.TokenRequests);
        Assert.Equal("Basic", request.Authorization?.Scheme);
    }

    [Fact]
    public void A_public_client_with_a_certificate_is_still_public()
    {
        using var certificate = TestCertificates.Create();
        using var server = new EndpointServer();
        var endpoint = server.Client(o =>
        {
            o.ClientSecret = null;
            o.ClientCertificate = certificate;
        });

        Assert.True(endpoint.IsPublicClient);
    }

    private static void CertificateInCode(OfflineBearerOptions options, X509Certificate2 certificate, ClientAuthenticationMethod method)
    {
        options.ClientSecret = null;
        options.ClientAuthentication = method;
        options.ClientCertificate = certificate;
    }

    /// <summary>A provider with the client and its token endpoint's client, as a user registers them (no primary handler set).</summary>
    private static ServiceProvider Services(Action<OfflineBearerOptions> configure, Action<IHttpClientBuilder>? tokenClient = null)
    {
        var services = new ServiceCollection();
        services.AddHttpClient(Harness.ClientName).AddOfflineBearerHandler(o =>
        {
            o.TokenEndpoint = Harness.TokenEndpoint;
            o.ClientId = Harness.ClientId;
            o.ClientAuthentication = ClientAuthenticationMethod.TlsClientAuth;
            configure(o);
            if (o.ClientSecret is not null)
            {
                o.ClientAuthentication = ClientAuthenticationMethod.ClientSecretBasic;
            }
        });
        tokenClient?.Invoke(services.AddHttpClient(OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName(Harness.ClientName)));
        return services.BuildServiceProvider();
    }

    private static T PrimaryHandler<T>(IServiceProvider services)
        where T : HttpMessageHandler
    {
        HttpMessageHandler handler = services.GetRequiredService<IHttpMessageHandlerFactory>()
            .CreateHandler(OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName(Harness.ClientName));
        while (handler is DelegatingHandler delegating)
        {
            handler = delegating.InnerHandler!;
        }

        return Assert.IsType<T>(handler);
    }
}
