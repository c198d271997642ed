using System.Net;
using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Testing;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

/// <summary>
/// DPoP nonces (RFC 9449 sections 8 and 9) and a token endpoint that requires DPoP, on a server started with
/// <see cref="TestTokenServerOptions.RequireDPoPNonce"/> and <see cref="TestTokenServerOptions.RequireDPoP"/>: a proof without the
/// current nonce is answered <c>use_dpop_nonce</c> with the nonce in <c>DPoP-Nonce</c>, and one retry with it succeeds,
/// also after the server switched nonces.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class DevServerDPoPNonceTests : IClassFixture<DevServerDPoPNonceServer>, IDisposable
{
    private readonly TestTokenServer _server;
    private readonly FakeTimeProvider _time;
    private readonly DevServerDPoPClient _client;
    private readonly DPoPKey _key;

    public DevServerDPoPNonceTests(DevServerDPoPNonceServer server)
    {
        _server = server.Server;
        _time = server.Time;
        _client = new DevServerDPoPClient(_server);
        _key = new DPoPKey(_time);
        _server.Ledger.Reset();
    }

    public void Dispose()
    {
        _client.Dispose();
        _key.Dispose();
    }

    [Fact]
    public void DPoP_and_its_nonce_are_off_by_default()
    {
        var options = new TestTokenServerOptions();

        Assert.False(options.RequireDPoP);
        Assert.False(options.RequireDPoPNonce);
        Assert.Null(options.DPoPNonceRotationInterval);
    }

    [Fact]
    public async Task A_token_request_without_the_nonce_is_challenged_once_and_the_retry_with_it_gets_a_bound_token()
    {
        var challenged = await _client.ClientCredentialsAsync(Proof());
        var retried = await _client.ClientCredentialsAsync(Proof(challenged.Nonce));

        Assert.Equal(HttpStatusCode.BadRequest, challenged.Status);
        Assert.Equal("use_dpop_nonce", challenged.String("error"));
        Assert.False(string.IsNullOrEmpty(challenged.Nonce));
        Assert.Equal(HttpStatusCode.OK, retried.Status);
        Assert.Equal("DPoP", retried.String("token_type"));
        Assert.Equal(challenged.Nonce, retried.Nonce);
        Assert.Equal(1, _server.Ledger.TokenDPoPNonceChallenges);
        Assert.Equal(1, _server.Ledger.TokenDPoPProofsAccepted);
        Assert.Equal(0, _server.Ledger.TokenDPoPProofsRefused);
    }

    [Fact]
    public async Task A_token_request_without_a_proof_is_refused_when_DPoP_is_required()
    {
        var answer = await _client.ClientCredentialsAsync();

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("invalid_dpop_proof", answer.String("error"));
        Assert.NotNull(answer.Nonce);
        Assert.Equal(1, _server.Ledger.TokenDPoPProofsRefused);
    }

    [Fact]
    public async Task After_a_nonce_switch_the_API_challenges_once_and_the_retry_with_the_new_nonce_is_accepted()
    {
        var nonce = (await _client.ClientCredentialsAsync(Proof())).Nonce;
        var token = (await _client.ClientCredentialsAsync(Proof(nonce))).AccessToken;
        using var before = await _client.PingAsync("DPoP", token, ApiProof(token, nonce));

        _server.RotateDPoPNonce();
        using var stale = await _client.PingAsync("DPoP", token, ApiProof(token, nonce));
        var fresh = DevServerDPoPClient.NonceOf(stale);
        using var retried = await _client.PingAsync("DPoP", token, ApiProof(token, fresh));

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(nonce, DevServerDPoPClient.NonceOf(before));
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        Assert.Equal(("DPoP", "use_dpop_nonce"), DevServerDPoPClient.ChallengeOf(stale));
        Assert.NotNull(fresh);
        Assert.NotEqual(nonce, fresh);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(1, _server.Ledger.ApiDPoPNonceChallenges);
        Assert.Equal(2, _server.Ledger.ApiDPoPProofsAccepted);
        Assert.Equal(0, _server.Ledger.ApiDPoPProofsRefused);
    }

    [Fact]
    public async Task An_API_proof_without_a_nonce_is_challenged()
    {
        var nonce = (await _client.ClientCredentialsAsync(Proof())).Nonce;
        var token = (await _client.ClientCredentialsAsync(Proof(nonce))).AccessToken;

        using var response = await _client.PingAsync("DPoP", token, ApiProof(token, nonce: null));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(("DPoP", "use_dpop_nonce"), DevServerDPoPClient.ChallengeOf(response));
        Assert.Equal(nonce, DevServerDPoPClient.NonceOf(response));
    }

    [Fact]
    public async Task A_refresh_with_a_stale_nonce_is_challenged_without_spending_the_refresh_token()
    {
        var nonce = (await _client.PasswordAsync(Proof())).Nonce;
        var offline = await _client.PasswordAsync(Proof(nonce));

        _server.RotateDPoPNonce();
        var challenged = await _client.RefreshPublicAsync(offline.RefreshToken, Proof(nonce));
        var retried = await _client.RefreshPublicAsync(offline.RefreshToken, Proof(challenged.Nonce));

        Assert.Equal("use_dpop_nonce", challenged.String("error"));
        Assert.NotEqual(nonce, challenged.Nonce);
        Assert.Equal(HttpStatusCode.OK, retried.Status);
        Assert.Equal("DPoP", retried.String("token_type"));
        Assert.Equal(0, _server.Ledger.ReusedRefreshTokens);
        Assert.Equal(2, _server.Ledger.TokenDPoPNonceChallenges);
    }

    [Fact]
    public async Task The_librarys_DPoP_client_retries_once_for_the_nonce_and_once_more_after_a_nonce_switch()
    {
        await using var harness = DevServerHarness.Create(new SharedDevServer(_server, _time, new TestTokenServerOptions().AccessTokenLifetime));
        harness.AddClient("dpop", o =>
        {
            o.ClientId = TestTokenServer.BasicClientId;
            o.ClientSecret = TestTokenServer.BasicClientSecret;
            o.DPoP = true;
        });

        using var first = await harness.SendPingAsync("dpop");
        var challengesBeforeSwitch = (_server.Ledger.TokenDPoPNonceChallenges, _server.Ledger.ApiDPoPNonceChallenges);
        _server.RotateDPoPNonce();
        using var second = await harness.SendPingAsync("dpop");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((1, 0), challengesBeforeSwitch);
        Assert.Equal(1, _server.Ledger.TokenDPoPNonceChallenges);
        Assert.Equal(1, _server.Ledger.ApiDPoPNonceChallenges);
        Assert.Equal(2, _server.Ledger.ApiDPoPProofsAccepted);
        Assert.Equal(0, _server.Ledger.TokenDPoPProofsRefused + _server.Ledger.ApiDPoPProofsRefused);
    }

    private string Proof(string? nonce = null) => _key.Proof(HttpMethod.Post, _server.TokenEndpoint, nonce: nonce);

    private string ApiProof(string token, string? nonce) => _key.Proof(HttpMethod.Get, _client.Ping, token, nonce: nonce);
}
