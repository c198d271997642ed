using System.Net;
using System.Security.Cryptography;
using OfflineBearer.Redis.Tests.Support;

namespace OfflineBearer.Redis.Tests;

/// <summary>
/// DPoP in a fleet (#12): the shared state says which key a token is bound to, so replicas that share one key file use
/// each other's bound tokens (and a public client's bound refresh token), and a replica with another key gets its own.
/// Against the development server, whose API checks every proof.
/// </summary>
[Collection(SharedFleet.Name)]
public sealed class FleetDPoPTests(FleetFixture fleet) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("offlinebearer-fleet-dpop-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Replicas_that_share_a_key_file_use_one_bound_token_and_the_api_accepts_each_ones_proof()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var key = WriteKey("shared.pem");
        await using var first = new Replica(fleet, prefix, WithDPoP(key));
        await using var second = new Replica(fleet, prefix, WithDPoP(key));

        Assert.Equal(HttpStatusCode.OK, await first.PingAsync());
        Assert.Equal(HttpStatusCode.OK, await second.PingAsync());

        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests());
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenDPoPProofsAccepted);
        Assert.Equal(2, fleet.TestTokenServer.Ledger.ApiDPoPProofsAccepted);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.ApiRequests(rejected: true));
    }

    [Fact]
    public async Task A_replica_with_another_key_does_not_adopt_a_token_it_cannot_prove_and_gets_its_own()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        await using var first = new Replica(fleet, prefix, WithDPoP(WriteKey("first.pem")));
        await using var other = new Replica(fleet, prefix, WithDPoP(WriteKey("other.pem")));

        Assert.Equal(HttpStatusCode.OK, await first.PingAsync());
        Assert.Equal(HttpStatusCode.OK, await other.PingAsync());

        Assert.Equal(2, fleet.TestTokenServer.Ledger.TokenRequests());
        Assert.Equal(2, fleet.TestTokenServer.Ledger.ApiDPoPProofsAccepted);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.ApiRequests(rejected: true));
    }

    [Fact]
    public async Task A_public_clients_bound_refresh_token_is_redeemed_by_another_replica_with_the_shared_key()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var offlineToken = await fleet.TestTokenServer.GetPublicClientOfflineTokenAsync();
        var key = WriteKey("public.pem");
        await using var first = new Replica(fleet, prefix, o =>
        {
            Replica.PublicClient(offlineToken)(o);
            WithDPoP(key)(o);
        });
        Assert.Equal(HttpStatusCode.OK, await first.PingAsync());

        // The first token has expired; the second replica redeems the refresh token the first one shared, now bound to the key.
        fleet.Time.Advance(fleet.AccessTokenLifetime + TimeSpan.FromSeconds(1));
        await using var second = new Replica(fleet, prefix, o =>
        {
            Replica.PublicClient(offlineToken)(o);
            WithDPoP(key)(o);
        });
        var status = await second.PingAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, fleet.TestTokenServer.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(2, fleet.TestTokenServer.Ledger.TokenDPoPProofsAccepted);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.TokenDPoPProofsRefused);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.ReusedRefreshTokens);
    }

    [Fact]
    public async Task The_shared_state_names_the_key_a_token_is_bound_to_and_a_bearer_token_names_none()
    {
        var bound = FleetFixture.NewPrefix();
        var bearer = FleetFixture.NewPrefix();
        fleet.StartClean();
        var key = WriteKey("state.pem");
        await using (var replica = new Replica(fleet, bound, WithDPoP(key)))
        {
            Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
        }

        await using (var replica = new Replica(fleet, bearer))
        {
            Assert.Equal(HttpStatusCode.OK, await replica.PingAsync());
        }

        await using var store = fleet.Store(bound);
        await using var bearerStore = fleet.Store(bearer);
        using var ec = ECDsa.Create();
        ec.ImportFromPem(await File.ReadAllTextAsync(key));
        Assert.Equal(OfflineBearer.Keys.KeyAlgorithms.Thumbprint(ec), (await store.ReadAsync(Replica.ClientName, default))!.DPoPKeyThumbprint);
        Assert.Null((await bearerStore.ReadAsync(Replica.ClientName, default))!.DPoPKeyThumbprint);
    }

    [Fact]
    public async Task Where_the_token_server_binds_nothing_the_fleet_shares_bearer_tokens_as_bearer()
    {
        var prefix = FleetFixture.NewPrefix();
        fleet.StartClean();
        var key = WriteKey("unbound.pem");

        // A server that ignores DPoP: here, proofs never reach it, so it issues bearer tokens.
        await using var first = new Replica(fleet, prefix, WithDPoP(key), more: Replica.AtTokenEndpoint(new WithoutProofs()));
        await using var second = new Replica(fleet, prefix, WithDPoP(key));

        Assert.Equal(HttpStatusCode.OK, await first.PingAsync());
        Assert.Equal(HttpStatusCode.OK, await second.PingAsync());

        Assert.Null((await fleet.ReadStateAsync(prefix))!.DPoPKeyThumbprint);
        Assert.Equal(1, fleet.TestTokenServer.Ledger.TokenRequests());
        Assert.Equal(0, fleet.TestTokenServer.Ledger.ApiDPoPProofsAccepted);
        Assert.Equal(0, fleet.TestTokenServer.Ledger.ApiRequests(rejected: true));
    }

    private static Action<OfflineBearerOptions> WithDPoP(string keyPath) => o =>
    {
        o.DPoP = true;
        o.DPoPKeyPath = keyPath;
    };

    private sealed class WithoutProofs : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Remove("DPoP");
            return base.SendAsync(request, cancellationToken);
        }
    }

    private string WriteKey(string name)
    {
        var path = Path.Combine(_directory, name);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
        return path;
    }
}
