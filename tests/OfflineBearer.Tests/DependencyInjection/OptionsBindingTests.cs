using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace OfflineBearer.Tests.DependencyInjection;

/// <summary>
/// <c>AddOfflineBearerHandler(IConfiguration)</c> binds through the configuration binding source generator (#11), which
/// binds what it saw at compile time and no reflection: every option must still arrive, whatever its type.
/// </summary>
public sealed class OptionsBindingTests
{
    private static readonly string DPoPKeyFile = WriteDPoPKey();
    private static readonly (string Certificate, string Key) CertificateFiles = WriteCertificate();

    /// <summary>Every option, each away from its default.</summary>
    private static readonly Dictionary<string, string?> EveryOption = new()
    {
        ["Authority"] = "https://sso.example.org/realms/prod",
        ["TokenEndpoint"] = "https://sso.example.org/token",
        ["ClientId"] = "sensor-gateway",
        ["ClientSecret"] = "secret",
        ["ClientAuthentication"] = "ClientSecretPost",
        ["Scope"] = "offline_access api",
        ["RefreshToken"] = "offline-token",
        ["RefreshBeforeExpiry"] = "00:02:00",
        ["RequireHttps"] = "false",
        ["TokenRequestAttemptTimeout"] = "00:00:04",
        ["TokenRequestRetries"] = "5",
        ["TokenRequestTimeout"] = "00:00:45",
        ["KeepAliveInterval"] = "2.00:00:00",
        ["SigningKeyPath"] = "/run/secrets/sensor-gateway.key.pem",
        ["SigningAlgorithm"] = "PS256",
        ["DPoP"] = "true",
        // Read at validation when DPoP is on, so it must be a key.
        ["DPoPKeyPath"] = DPoPKeyFile,
        // Read at validation, so they must be a certificate and its encrypted key.
        ["ClientCertificatePath"] = CertificateFiles.Certificate,
        ["ClientCertificateKeyPath"] = CertificateFiles.Key,
        ["ClientCertificatePassword"] = "binding-password",
    };

    [Fact]
    public void Every_option_binds_from_a_configuration_section()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(EveryOption.Select(o => KeyValuePair.Create("Sensor:Auth:" + o.Key, o.Value)))
            .Build();

        var options = Bind(configuration.GetSection("Sensor:Auth"));

        Assert.Equal("https://sso.example.org/realms/prod", options.Authority);
        Assert.Equal(new Uri("https://sso.example.org/token"), options.TokenEndpoint);
        Assert.Equal("sensor-gateway", options.ClientId);
        Assert.Equal("secret", options.ClientSecret);
        Assert.Equal(ClientAuthenticationMethod.ClientSecretPost, options.ClientAuthentication);
        Assert.Equal("offline_access api", options.Scope);
        Assert.Equal("offline-token", options.RefreshToken);
        Assert.Equal(TimeSpan.FromMinutes(2), options.RefreshBeforeExpiry);
        Assert.False(options.RequireHttps);
        Assert.Equal(TimeSpan.FromSeconds(4), options.TokenRequestAttemptTimeout);
        Assert.Equal(5, options.TokenRequestRetries);
        Assert.Equal(TimeSpan.FromSeconds(45), options.TokenRequestTimeout);
        Assert.Equal(TimeSpan.FromDays(2), options.KeepAliveInterval);
        Assert.Equal("/run/secrets/sensor-gateway.key.pem", options.SigningKeyPath);
        Assert.Equal("PS256", options.SigningAlgorithm);
        Assert.True(options.DPoP);
        Assert.Equal(DPoPKeyFile, options.DPoPKeyPath);
        Assert.Null(options.SigningKey);
        Assert.Equal(CertificateFiles.Certificate, options.ClientCertificatePath);
        Assert.Equal(CertificateFiles.Key, options.ClientCertificateKeyPath);
        Assert.Equal("binding-password", options.ClientCertificatePassword);
        Assert.Null(options.ClientCertificate);
    }

    /// <summary>The options of where credentials, grant and target come from, each away from its default (together not a valid client).</summary>
    private static readonly Dictionary<string, string?> GrantOptions = new()
    {
        ["ClientSecretPath"] = "/var/run/secrets/client/secret",
        ["ClientAssertionPath"] = "/var/run/secrets/tokens/oidc-token",
        ["Grant"] = "TokenExchange",
        ["SubjectTokenClient"] = "upstream",
        ["SubjectTokenPath"] = "/var/run/secrets/tokens/subject",
        ["SubjectTokenType"] = "urn:ietf:params:oauth:token-type:jwt",
        ["RequestedTokenType"] = "urn:ietf:params:oauth:token-type:access_token",
        ["Resource:0"] = "https://inventory.example.org/",
        ["Resource:1"] = "https://orders.example.org/",
        ["Audience"] = "inventory-api",
        ["AdditionalParameters:tenant"] = "north",
        ["AdditionalParameters:client_id"] = "gateway",
        ["SecretParameters:0"] = "tenant",
    };

    [Fact]
    public void The_grant_and_target_options_bind_from_a_configuration_section_lists_and_maps_included()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(GrantOptions.Select(o => KeyValuePair.Create("Sensor:Auth:" + o.Key, o.Value)))
            .Build();

        var options = BindUnvalidated(configuration.GetSection("Sensor:Auth"));

        Assert.Equal("/var/run/secrets/client/secret", options.ClientSecretPath);
        Assert.Equal("/var/run/secrets/tokens/oidc-token", options.ClientAssertionPath);
        Assert.Equal(OfflineBearerGrant.TokenExchange, options.Grant);
        Assert.Equal("upstream", options.SubjectTokenClient);
        Assert.Equal("/var/run/secrets/tokens/subject", options.SubjectTokenPath);
        Assert.Equal("urn:ietf:params:oauth:token-type:jwt", options.SubjectTokenType);
        Assert.Equal("urn:ietf:params:oauth:token-type:access_token", options.RequestedTokenType);
        Assert.Equal(["https://inventory.example.org/", "https://orders.example.org/"], options.Resource);
        Assert.Equal("inventory-api", options.Audience);
        Assert.Equal(new Dictionary<string, string> { ["tenant"] = "north", ["client_id"] = "gateway" }, options.AdditionalParameters);
        Assert.Equal(["tenant"], options.SecretParameters);
        Assert.Null(options.ClientAssertionProvider);
        Assert.Null(options.SubjectTokenProvider);
    }

    [Fact]
    public void A_certificate_is_never_bound_from_configuration_only_its_files()
    {
        // The generator binds X509Certificate2 member by member (see OfflineBearer.csproj); keys under ClientCertificate
        // must not make a certificate out of nothing.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ClientId"] = "sensor-gateway",
            ["ClientSecret"] = "secret",
            ["Authority"] = "https://sso.example.org/realms/prod",
            ["ClientCertificate"] = CertificateFiles.Certificate,
        }).Build();

        var options = Bind(configuration);

        Assert.Null(options.ClientCertificate);
    }

    [Fact]
    public void No_option_is_left_out_of_the_binding_test()
    {
        var bound = BindUnvalidated(new ConfigurationBuilder().AddInMemoryCollection(EveryOption).AddInMemoryCollection(GrantOptions).Build());
        var defaults = new OfflineBearerOptions();

        // A new option that configuration can carry (one a string converts to, the reflection binder's rule) belongs in
        // EveryOption and in the test above: the generator binds it, but nothing shows it does. Code-only options are left out.
        var unbound = typeof(OfflineBearerOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => TypeDescriptor.GetConverter(p.PropertyType).CanConvertFrom(typeof(string)))
            .Where(p => Equals(p.GetValue(bound), p.GetValue(defaults)))
            .Select(p => p.Name);

        Assert.Empty(unbound);
    }

    [Fact]
    public void An_empty_value_clears_an_option_set_in_code_as_reflection_binding_did()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Authority"] = "https://sso.example.org/realms/prod",
            ["ClientId"] = "sensor-gateway",
            ["ClientSecret"] = "secret",
            ["TokenEndpoint"] = "",
            ["KeepAliveInterval"] = "",
        }).Build();
        var services = new ServiceCollection();
        services.Configure<OfflineBearerOptions>("sensor", o => o.TokenEndpoint = new Uri("https://sso.example.org/token"));
        services.AddHttpClient("sensor").AddOfflineBearerHandler(configuration);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptionsMonitor<OfflineBearerOptions>>().Get("sensor");

        Assert.Null(options.TokenEndpoint);
        Assert.Null(options.KeepAliveInterval);
    }

    [Fact]
    public void A_value_that_does_not_parse_fails_naming_its_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sensor:Auth:TokenRequestRetries"] = "many",
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => Bind(configuration.GetSection("Sensor:Auth")));

        Assert.Contains("'Sensor:Auth:TokenRequestRetries'", error.Message, StringComparison.Ordinal);
    }

    private static string WriteDPoPKey()
    {
        var path = Path.Combine(Path.GetTempPath(), $"offlinebearer-binding-{Environment.ProcessId}.dpop.pem");
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
        return path;
    }

    private static (string Certificate, string Key) WriteCertificate()
    {
        using var certificate = Support.TestCertificates.Create();
        var path = Path.Combine(Path.GetTempPath(), $"offlinebearer-binding-{Environment.ProcessId}.crt");
        File.WriteAllText(path, Support.TestCertificates.CertificatePem(certificate));
        File.WriteAllText(path + ".key", Support.TestCertificates.KeyPem(certificate, "binding-password"));
        return (path, path + ".key");
    }

    private static OfflineBearerOptions Bind(IConfiguration section)
    {
        var services = new ServiceCollection();
        services.AddHttpClient("sensor").AddOfflineBearerHandler(section);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptionsMonitor<OfflineBearerOptions>>().Get("sensor");
    }

    /// <summary>Bound as the handler binds, without the validators: for options that together are no valid client.</summary>
    private static OfflineBearerOptions BindUnvalidated(IConfiguration section)
    {
        var services = new ServiceCollection();
        services.AddHttpClient("sensor").AddOfflineBearerHandler(section);
        services.RemoveAll<IValidateOptions<OfflineBearerOptions>>();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptionsMonitor<OfflineBearerOptions>>().Get("sensor");
    }
}
