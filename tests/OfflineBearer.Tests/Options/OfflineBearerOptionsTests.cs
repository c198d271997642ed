using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace OfflineBearer.Tests.Options;

public sealed class OfflineBearerOptionsTests
{
    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var options = new OfflineBearerOptions();

        Assert.Null(options.Authority);
        Assert.Null(options.TokenEndpoint);
        Assert.Null(options.ClientId);
        Assert.Null(options.ClientSecret);
        Assert.Equal(ClientAuthenticationMethod.ClientSecretBasic, options.ClientAuthentication);
        Assert.Null(options.Scope);
        Assert.Null(options.RefreshToken);
        Assert.Equal(TimeSpan.FromSeconds(60), options.RefreshBeforeExpiry);
        Assert.True(options.RequireHttps);
        Assert.Equal(TimeSpan.FromSeconds(10), options.TokenRequestAttemptTimeout);
        Assert.Equal(3, options.TokenRequestRetries);
        Assert.Equal(TimeSpan.FromSeconds(30), options.TokenRequestTimeout);
        Assert.Equal(TimeSpan.FromDays(7), options.KeepAliveInterval);
    }

    [Fact]
    public void Options_bind_from_a_configuration_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Inventory:Auth:Authority"] = "https://sso.example.org/realms/prod",
            ["Inventory:Auth:ClientId"] = "inventory-sync",
            ["Inventory:Auth:ClientSecret"] = "secret",
            ["Inventory:Auth:ClientAuthentication"] = "ClientSecretPost",
            ["Inventory:Auth:Scope"] = "offline_access",
            ["Inventory:Auth:RefreshBeforeExpiry"] = "00:02:00",
            ["Inventory:Auth:TokenEndpoint"] = "https://sso.example.org/token",
            ["Inventory:Auth:KeepAliveInterval"] = "",
            ["Inventory:Auth:TokenRequestRetries"] = "5",
        }).Build();
        var services = new ServiceCollection();
        services.AddHttpClient("inventory").AddOfflineBearerHandler(configuration.GetSection("Inventory:Auth"));
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptionsMonitor<OfflineBearerOptions>>().Get("inventory");

        Assert.Equal("https://sso.example.org/realms/prod", options.Authority);
        Assert.Equal(ClientAuthenticationMethod.ClientSecretPost, options.ClientAuthentication);
        Assert.Equal(TimeSpan.FromMinutes(2), options.RefreshBeforeExpiry);
        Assert.Equal(new Uri("https://sso.example.org/token"), options.TokenEndpoint);
        Assert.Equal(5, options.TokenRequestRetries);
        Assert.Null(options.KeepAliveInterval);
    }

    public static TheoryData<string, Action<OfflineBearerOptions>> InvalidOptions => new()
    {
        { "ClientId", o => o.ClientId = null },
        { "Authority", o => o.Authority = null },
        { "Authority must be an absolute URL", o => o.Authority = "sso.example.org" },
        { "ClientSecret", o => o.ClientSecret = null },
        { "Authority must use https", o => o.Authority = "http://sso.example.org/realms/prod" },
        { "TokenEndpoint must use https", o => o.TokenEndpoint = new Uri("http://sso.example.org/token") },
        { "RefreshBeforeExpiry", o => o.RefreshBeforeExpiry = TimeSpan.FromSeconds(-1) },
        { "ClientAuthentication", o => o.ClientAuthentication = (ClientAuthenticationMethod)7 },
        { "TokenRequestAttemptTimeout", o => o.TokenRequestAttemptTimeout = TimeSpan.Zero },
        { "TokenRequestTimeout at least as long", o => o.TokenRequestTimeout = TimeSpan.FromSeconds(1) },
        { "TokenRequestRetries", o => o.TokenRequestRetries = -1 },
        { "at least 10 ms", o => o.TokenRequestAttemptTimeout = TimeSpan.FromMilliseconds(5) },
        { "at most one day", o => o.TokenRequestTimeout = TimeSpan.FromDays(2) },
        { "KeepAliveInterval", o => o.KeepAliveInterval = TimeSpan.FromSeconds(5) },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public async Task Invalid_options_fail_at_host_start_naming_the_client_and_the_option(string option, Action<OfflineBearerOptions> spoil)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddHttpClient("inventory").AddOfflineBearerHandler(o =>
        {
            o.Authority = "https://sso.example.org/realms/prod";
            o.ClientId = "inventory-sync";
            o.ClientSecret = "secret";
            spoil(o);
        });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("'inventory'", error.Message, StringComparison.Ordinal);
        Assert.Contains(option, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message.Replace("ClientSecret", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_options_fail_at_the_latest_when_the_client_is_created()
    {
        var services = new ServiceCollection();
        services.AddHttpClient("inventory").AddOfflineBearerHandler(o => o.Authority = "https://sso.example.org/realms/prod");
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(
            () => provider.GetRequiredService<IHttpClientFactory>().CreateClient("inventory"));

        Assert.Contains("OfflineBearer client 'inventory': ClientId is required.", error.Failures);
    }

    [Fact]
    public void A_public_client_with_a_refresh_token_and_loopback_http_is_valid()
    {
        var services = new ServiceCollection();
        services.AddHttpClient("sensor").AddOfflineBearerHandler(o =>
        {
            o.TokenEndpoint = new Uri("http://127.0.0.1:8080/realms/dev/protocol/openid-connect/token");
            o.ClientId = "sensor";
            o.RefreshToken = "offline-token";
        });
        using var provider = services.BuildServiceProvider();

        using var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("sensor");

        Assert.NotNull(client);
    }
}
