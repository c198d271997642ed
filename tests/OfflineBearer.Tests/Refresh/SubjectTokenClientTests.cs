using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.Refresh;

/// <summary>A token exchange whose subject token is another named client's current token, got and refreshed as that client gets it.</summary>
public sealed class SubjectTokenClientTests
{
    private const string Upstream = "gateway";

    [Fact]
    public async Task The_exchange_presents_the_upstream_clients_current_token_and_follows_its_refreshes()
    {
        using var harness = Exchanging();
        var upstreamTokens = new List<string>();
        harness.OnToken = request =>
        {
            var token = harness.IssueJwt(TimeSpan.FromMinutes(5));
            if (request.GrantType == "client_credentials")
            {
                upstreamTokens.Add(token);
            }

            return Task.FromResult(Harness.Json(TokenJson.Success(token)));
        };
        using var client = harness.CreateClient();

        (await client.GetAsync("first")).Dispose();
        harness.Time.Advance(TimeSpan.FromMinutes(6));
        (await client.GetAsync("second")).Dispose();

        var exchanges = harness.TokenRequests.Where(request => request.GrantType == "urn:ietf:params:oauth:grant-type:token-exchange").ToArray();
        Assert.Equal(2, upstreamTokens.Count);
        Assert.Equal(upstreamTokens, exchanges.Select(request => request.Form["subject_token"]));
    }

    [Fact]
    public void A_chain_of_exchanges_that_leads_back_to_itself_is_refused_when_the_client_is_made()
    {
        using var harness = Exchanging(upstreamExchanges: Harness.ClientName);

        var error = Assert.Throws<OptionsValidationException>(() => harness.CreateClient());

        Assert.Contains($"SubjectTokenClient '{Upstream}' leads back to '{Harness.ClientName}'; a token exchange cannot take its subject token from itself.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upstream_client_that_gets_no_token_fails_the_exchange_with_its_own_error_inside()
    {
        using var harness = Exchanging();
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error("invalid_client", "who are you"), System.Net.HttpStatusCode.Unauthorized));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("readings"));

        Assert.Contains($"could not read the token of SubjectTokenClient '{Upstream}'", error.Message, StringComparison.Ordinal);
        Assert.Equal("invalid_client", Assert.IsType<OfflineBearerException>(error.InnerException).Error);
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task A_DPoP_bound_upstream_token_is_not_presented_as_a_subject_token()
    {
        using var harness = Exchanging(upstreamDPoP: true);
        harness.OnToken = _ => Task.FromResult(Harness.Json(
            TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5))).Replace("\"Bearer\"", "\"DPoP\"", StringComparison.Ordinal)));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("readings"));

        Assert.Contains($"The token of SubjectTokenClient '{Upstream}' is bound to its DPoP key", error.InnerException?.Message, StringComparison.Ordinal);
        Assert.Equal(["client_credentials"], harness.TokenRequests.Select(request => request.GrantType));
    }

    /// <summary>
    /// A harness whose client exchanges the upstream client's token; the upstream exchanges <paramref name="upstreamExchanges"/>'s
    /// token when that is this client, and asks for DPoP-bound tokens with <paramref name="upstreamDPoP"/>.
    /// </summary>
    private static Harness Exchanging(string upstreamExchanges = Upstream, bool upstreamDPoP = false)
    {
        Harness? current = null;
        current = new Harness(
            o =>
            {
                o.Grant = OfflineBearerGrant.TokenExchange;
                o.SubjectTokenClient = Upstream;
            },
            services => AddUpstream(services, () => current!, upstreamExchanges, upstreamDPoP),
            userDefaults: true);
        return current;
    }

    /// <summary>The upstream client, at the same token server; exchanging <paramref name="subjectClient"/>'s token when it is not null.</summary>
    private static void AddUpstream(IServiceCollection services, Func<Harness> harness, string subjectClient, bool dpop)
    {
        services.AddHttpClient(Upstream).AddOfflineBearerHandler(o =>
        {
            o.TokenEndpoint = Harness.TokenEndpoint;
            o.ClientId = "gateway-client";
            o.ClientSecret = Harness.ClientSecret;
            o.DPoP = dpop;
            if (subjectClient == Harness.ClientName)
            {
                o.Grant = OfflineBearerGrant.TokenExchange;
                o.SubjectTokenClient = subjectClient;
            }
        });
        services.AddHttpClient(OfflineBearerHttpClientBuilderExtensions.TokenEndpointClientName(Upstream))
            .ConfigurePrimaryHttpMessageHandler(() => harness().TokenNetwork);
    }
}
