using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OfflineBearer.Stores;
using OfflineBearer.Validation;

namespace OfflineBearer.Tests.Options;

/// <summary>
/// Where a public client (no secret) may start from: a configured offline token, or one the offline-token tool put in a
/// durable store (a file store, a custom store, the fleet's shared store). With neither, its options are refused at start.
/// </summary>
public sealed class PublicClientStartTests
{
    private const string NoStartMessage =
        "OfflineBearer client 'sensor': set ClientSecret (confidential client) or RefreshToken (public client with an offline " +
        "token), or keep the offline token in a store (AddOfflineBearerFileStore, AddOfflineBearerRedis).";

    [Theory]
    [InlineData(null, null)]
    [InlineData("", "")]
    public void A_public_client_without_an_offline_token_or_a_durable_store_is_refused(string? secret, string? refreshToken)
    {
        var result = Validate(new InMemoryRefreshTokenStore(), sharedStore: null, o =>
        {
            o.ClientSecret = secret;
            o.RefreshToken = refreshToken;
        });

        Assert.True(result.Failed);
        Assert.Equal([NoStartMessage], result.Failures);
    }

    [Fact]
    public void A_public_client_whose_offline_token_is_in_a_file_store_starts()
    {
        var services = new ServiceCollection();
        services.AddOfflineBearerFileStore(Path.Combine(Path.GetTempPath(), "offlinebearer-never-written"));
        services.AddHttpClient("sensor").AddOfflineBearerHandler(o =>
        {
            o.Authority = "https://sso.example.org/realms/prod";
            o.ClientId = "sensor";
        });
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptionsMonitor<OfflineBearerOptions>>().Get("sensor");

        Assert.Null(options.ClientSecret);
        Assert.Null(options.RefreshToken);
    }

    [Fact]
    public void A_public_client_whose_offline_token_is_in_a_custom_store_is_valid()
    {
        var result = Validate(new Support.RecordingStore(), sharedStore: null, o => o.ClientSecret = null);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void A_public_client_of_a_fleet_is_valid_with_only_the_shared_store()
    {
        var result = Validate(new InMemoryRefreshTokenStore(), new NoSharedStore(), o => o.ClientSecret = null);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void A_public_client_with_a_configured_offline_token_is_valid_without_a_store()
    {
        var result = Validate(new InMemoryRefreshTokenStore(), sharedStore: null, o =>
        {
            o.ClientSecret = null;
            o.RefreshToken = "offline-token";
        });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void A_confidential_client_needs_no_offline_token_and_no_store()
    {
        var result = Validate(new InMemoryRefreshTokenStore(), sharedStore: null, o => o.ClientSecret = "secret");

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    private static ValidateOptionsResult Validate(IRefreshTokenStore store, ISharedTokenStore? sharedStore, Action<OfflineBearerOptions> configure)
    {
        var options = new OfflineBearerOptions { Authority = "https://sso.example.org/realms/prod", ClientId = "sensor" };
        configure(options);
        return new OfflineBearerOptionsValidator(store, sharedStore).Validate("sensor", options);
    }

    /// <summary>Stands for a registered fleet store; validation only asks whether there is one.</summary>
    private sealed class NoSharedStore : ISharedTokenStore
    {
        public bool AllowLocalRefreshWhenUnavailable => false;

        public ValueTask<SharedTokenState?> ReadAsync(string clientName, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<string?> TryAcquireLeaseAsync(string clientName, TimeSpan duration, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<TimeSpan?> GetLeaseTimeLeftAsync(string clientName, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<bool> TryWriteAsync(string clientName, string lease, SharedTokenState state, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<bool> TryMarkRedeemingAsync(string clientName, string lease, bool redeeming, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask ReleaseLeaseAsync(string clientName, string lease, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<SharedTokenState?> WaitForNewerAsync(string clientName, long version, TimeSpan timeout, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }
}
