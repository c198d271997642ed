using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

/// <summary>
/// A public client's DPoP-bound offline token outlives a restart (#12): the development server binds a public client's
/// refresh token to the proof's key (RFC 9449 5), and the file store keeps the key the library made beside the token.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class DPoPRestartTests(DevServerFixture servers) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("offlinebearer-it-dpop-restart-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task After_a_restart_the_bound_offline_token_refreshes_with_the_key_the_file_store_kept()
    {
        string offlineToken;
        await using (var before = DevServerHarness.Create(servers.Rotating))
        {
            offlineToken = await before.GetPublicClientOfflineTokenAsync();
            AddClient(before, offlineToken);
            using var first = await before.SendPingAsync("sensor");
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(1, before.Ledger.TokenDPoPProofsAccepted);
        }

        await using var after = DevServerHarness.Create(servers.Rotating);
        AddClient(after, offlineToken);
        using var response = await after.SendPingAsync("sensor");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((TestTokenServer.PublicClientId, TestTokenServer.UserName), await DevServerHarness.ReadCallerAsync(response));
        Assert.Equal(1, after.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(1, after.Ledger.TokenDPoPProofsAccepted);
        Assert.Equal(0, after.Ledger.TokenDPoPProofsRefused);
        Assert.Equal(0, after.Ledger.ReusedRefreshTokens);
        Assert.Equal(1, after.Ledger.ApiDPoPProofsAccepted);
    }

    private void AddClient(DevServerHarness harness, string offlineToken) => harness.AddClient("sensor", o =>
    {
        o.ClientId = TestTokenServer.PublicClientId;
        o.ClientSecret = null;
        o.RefreshToken = offlineToken;
        o.DPoP = true;
    }).Services.AddOfflineBearerFileStore(_directory);
}
