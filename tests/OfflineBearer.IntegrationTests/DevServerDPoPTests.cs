using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

/// <summary>
/// DPoP (RFC 9449) in the development server, driven with hand-built proofs: a token request with a proof gets tokens
/// bound to its key, the API holds a bound token to proofs of that key for each request, a public client's refresh token
/// needs the same key, and clients without DPoP see no change.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class DevServerDPoPTests : IDisposable
{
    private readonly SharedDevServer _shared;
    private readonly TestTokenServer _server;
    private readonly FakeTimeProvider _time;
    private readonly DevServerDPoPClient _client;
    private readonly DPoPKey _key;
    private readonly DPoPKey _otherKey;

    public DevServerDPoPTests(DevServerFixture servers)
    {
        _shared = servers.Rotating;
        _server = servers.Rotating.Server;
        _time = servers.Rotating.Time;
        _client = new DevServerDPoPClient(_server);
        _key = new DPoPKey(_time);
        _otherKey = new DPoPKey(_time);
        _server.Ledger.Reset();
    }

    public void Dispose()
    {
        _client.Dispose();
        _key.Dispose();
        _otherKey.Dispose();
    }

    [Fact]
    public async Task Discovery_announces_the_DPoP_signing_algorithms()
    {
        using var http = new HttpClient();
        using var discovery = JsonDocument.Parse(await http.GetStringAsync(_server.DiscoveryEndpoint));

        var algorithms = discovery.RootElement.GetProperty("dpop_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()).ToArray();

        Assert.Equal(new[] { "ES256", "ES384", "ES512", "RS256", "PS256" }, algorithms);
    }

    [Fact]
    public async Task A_token_request_with_a_proof_gets_a_DPoP_access_token_whose_cnf_jkt_is_the_key_thumbprint()
    {
        var tokens = await _client.ClientCredentialsAsync(Proof(_key));

        var payload = DevServerDPoPClient.PayloadOf(tokens.AccessToken);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        Assert.Equal("DPoP", tokens.String("token_type"));
        Assert.Equal(JsonValueKind.Object, payload.GetProperty("cnf").ValueKind);
        Assert.Equal(_key.Thumbprint, payload.GetProperty("cnf").GetProperty("jkt").GetString());
        Assert.False(payload.TryGetProperty("dev_dpop_jkt", out _));
        Assert.Equal(1, _server.Ledger.TokenDPoPProofsAccepted);
        Assert.Equal(0, _server.Ledger.TokenDPoPProofsRefused);
    }

    [Fact]
    public async Task The_API_accepts_a_bound_token_with_a_proof_of_its_key_for_each_request()
    {
        var token = (await _client.ClientCredentialsAsync(Proof(_key))).AccessToken;

        using var first = await _client.PingAsync("DPoP", token, ApiProof(_key, token));
        using var second = await _client.PingAsync("DPoP", token, ApiProof(_key, token));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((TestTokenServer.BasicClientId, TestTokenServer.BasicClientId), await DevServerHarness.ReadCallerAsync(second));
        Assert.Equal(2, _server.Ledger.ApiDPoPProofsAccepted);
        Assert.Equal(0, _server.Ledger.ApiRequests(rejected: true));
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "no proof", "invalid_dpop_proof" },
        { "a proof of another key", "invalid_dpop_proof" },
        { "a wrong ath", "invalid_dpop_proof" },
        { "no ath", "invalid_dpop_proof" },
        { "a proof for POST", "invalid_dpop_proof" },
        { "a proof for another URL", "invalid_dpop_proof" },
        { "a proof issued 61 s ago", "invalid_dpop_proof" },
        { "a proof issued 16 s ahead", "invalid_dpop_proof" },
        { "a proof typed JWT", "invalid_dpop_proof" },
        { "a proof whose jwk has the private key", "invalid_dpop_proof" },
        { "a proof with a broken signature", "invalid_dpop_proof" },
        { "two proofs", "invalid_dpop_proof" },
        { "the Bearer scheme", "invalid_token" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task The_API_refuses_a_bound_token_with(string what, string error)
    {
        var token = (await _client.ClientCredentialsAsync(Proof(_key))).AccessToken;
        var now = _time.GetUtcNow();
        var valid = ApiProof(_key, token);

        using var response = what switch
        {
            "no proof" => await _client.PingAsync("DPoP", token),
            "a proof of another key" => await _client.PingAsync("DPoP", token, ApiProof(_otherKey, token)),
            "a wrong ath" => await _client.PingAsync("DPoP", token, _key.Proof(HttpMethod.Get, _client.Ping, ath: DPoPKey.HashOf(token + "x"))),
            "no ath" => await _client.PingAsync("DPoP", token, _key.Proof(HttpMethod.Get, _client.Ping)),
            "a proof for POST" => await _client.PingAsync("DPoP", token, _key.Proof(HttpMethod.Post, _client.Ping, token)),
            "a proof for another URL" => await _client.PingAsync("DPoP", token, _key.Proof(HttpMethod.Get, new Uri(_server.ApiUrl, "other"), token)),
            "a proof issued 61 s ago" => await _client.PingAsync("DPoP", token, _key.Proof(HttpMethod.Get, _client.Ping, token, issuedAt: now.AddSeconds(-61))),
            "a proof issued 16 s ahead" => await _client.PingAsync("DPoP", token, _key.Proof(HttpMethod.Get, _client.Ping, token, issuedAt: now.AddSeconds(16))),
            "a proof typed JWT" => await _client.PingAsync("DPoP", token, _key.Proof(HttpMethod.Get, _client.Ping, token, type: "JWT")),
            "a proof whose jwk has the private key" => await _client.PingAsync("DPoP", token, _key.Proof(HttpMethod.Get, _client.Ping, token, withPrivateKey: true)),
            "a proof with a broken signature" => await _client.PingAsync("DPoP", token, valid[..^4] + (valid.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA")),
            "two proofs" => await _client.PingAsync("DPoP", token, valid, ApiProof(_key, token)),
            "the Bearer scheme" => await _client.PingAsync("Bearer", token, valid),
            _ => throw new ArgumentOutOfRangeException(nameof(what), what, null),
        };

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(("DPoP", error), DevServerDPoPClient.ChallengeOf(response));
        Assert.Contains("algs=\"ES256", response.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);
        Assert.Equal(1, _server.Ledger.ApiDPoPProofsRefused);
        Assert.Equal(1, _server.Ledger.ApiRequests(rejected: true));
        Assert.Equal(0, _server.Ledger.ApiDPoPProofsAccepted);
    }

    [Fact]
    public async Task A_proof_is_good_for_one_request_only()
    {
        var token = (await _client.ClientCredentialsAsync(Proof(_key))).AccessToken;
        var proof = ApiProof(_key, token);

        using var first = await _client.PingAsync("DPoP", token, proof);
        using var replayed = await _client.PingAsync("DPoP", token, proof);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        Assert.Equal(("DPoP", "invalid_dpop_proof"), DevServerDPoPClient.ChallengeOf(replayed));
    }

    [Fact]
    public async Task A_jti_used_at_the_token_endpoint_is_refused_there_a_second_time()
    {
        var proof = Proof(_key);

        var first = await _client.ClientCredentialsAsync(proof);
        var replayed = await _client.ClientCredentialsAsync(proof);

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(HttpStatusCode.BadRequest, replayed.Status);
        Assert.Equal("invalid_dpop_proof", replayed.String("error"));
        Assert.Equal(1, _server.Ledger.TokenDPoPProofsRefused);
    }

    [Fact]
    public async Task A_stolen_bound_token_is_useless_to_a_plain_HttpClient()
    {
        var token = (await _client.ClientCredentialsAsync(Proof(_key))).AccessToken;
        using var thief = new HttpClient();
        using var asBearer = new HttpRequestMessage(HttpMethod.Get, _client.Ping) { Headers = { { "Authorization", "Bearer " + token } } };
        using var asDPoP = new HttpRequestMessage(HttpMethod.Get, _client.Ping) { Headers = { { "Authorization", "DPoP " + token } } };
        using var withOwnKey = new HttpRequestMessage(HttpMethod.Get, _client.Ping) { Headers = { { "Authorization", "DPoP " + token }, { "DPoP", ApiProof(_otherKey, token) } } };

        using var bearer = await thief.SendAsync(asBearer);
        using var dpop = await thief.SendAsync(asDPoP);
        using var ownKey = await thief.SendAsync(withOwnKey);

        Assert.Equal(HttpStatusCode.Unauthorized, bearer.StatusCode);
        Assert.Equal(("DPoP", "invalid_token"), DevServerDPoPClient.ChallengeOf(bearer));
        Assert.Equal(HttpStatusCode.Unauthorized, dpop.StatusCode);
        Assert.Equal(("DPoP", "invalid_dpop_proof"), DevServerDPoPClient.ChallengeOf(dpop));
        Assert.Equal(HttpStatusCode.Unauthorized, ownKey.StatusCode);
        Assert.Equal(("DPoP", "invalid_dpop_proof"), DevServerDPoPClient.ChallengeOf(ownKey));
        Assert.Equal(3, _server.Ledger.ApiDPoPProofsRefused);
    }

    [Fact]
    public async Task An_expired_bound_token_gets_a_DPoP_invalid_token_challenge()
    {
        var token = (await _client.ClientCredentialsAsync(Proof(_key))).AccessToken;

        _time.Advance(TimeSpan.FromSeconds(11));
        using var response = await _client.PingAsync("DPoP", token, ApiProof(_key, token));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(("DPoP", "invalid_token"), DevServerDPoPClient.ChallengeOf(response));
        Assert.Equal(1, _server.Ledger.ApiRequests(expired: true));
    }

    [Fact]
    public async Task A_public_clients_refresh_token_is_bound_to_the_key_and_refreshes_only_with_it()
    {
        var offline = await _client.PasswordAsync(Proof(_key));

        var withoutProof = await _client.RefreshPublicAsync(offline.RefreshToken);
        var otherKey = await _client.RefreshPublicAsync(offline.RefreshToken, Proof(_otherKey));
        var sameKey = await _client.RefreshPublicAsync(offline.RefreshToken, Proof(_key));
        var rotatedWithOtherKey = await _client.RefreshPublicAsync(sameKey.RefreshToken, Proof(_otherKey));
        var rotatedWithSameKey = await _client.RefreshPublicAsync(sameKey.RefreshToken, Proof(_key));

        Assert.Equal("DPoP", offline.String("token_type"));
        Assert.Equal(HttpStatusCode.BadRequest, withoutProof.Status);
        Assert.Equal("invalid_dpop_proof", withoutProof.String("error"));
        Assert.Equal(HttpStatusCode.BadRequest, otherKey.Status);
        Assert.Equal("invalid_grant", otherKey.String("error"));
        Assert.Equal(HttpStatusCode.OK, sameKey.Status);
        Assert.Equal("DPoP", sameKey.String("token_type"));
        Assert.Equal(_key.Thumbprint, DevServerDPoPClient.PayloadOf(sameKey.AccessToken).GetProperty("cnf").GetProperty("jkt").GetString());
        Assert.Equal("invalid_grant", rotatedWithOtherKey.String("error"));
        Assert.Equal(HttpStatusCode.OK, rotatedWithSameKey.Status);
        Assert.Equal(0, _server.Ledger.ReusedRefreshTokens);
        Assert.Equal(3, _server.Ledger.TokenDPoPProofsAccepted);
        Assert.Equal(3, _server.Ledger.TokenDPoPProofsRefused);
    }

    [Fact]
    public async Task A_confidential_clients_refresh_token_stays_unbound_and_refreshes_without_a_proof_to_a_bearer_token()
    {
        var bound = await _client.ClientCredentialsAsync(Proof(_key));

        var refreshed = await _client.RefreshConfidentialAsync(bound.RefreshToken);
        using var ping = await _client.PingAsync("Bearer", refreshed.AccessToken);

        Assert.Equal("DPoP", bound.String("token_type"));
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.Equal("Bearer", refreshed.String("token_type"));
        Assert.False(DevServerDPoPClient.PayloadOf(refreshed.AccessToken).TryGetProperty("cnf", out _));
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
    }

    [Fact]
    public async Task A_token_request_without_a_proof_gets_an_unbound_bearer_token_that_works_as_before()
    {
        var tokens = await _client.ClientCredentialsAsync();

        using var ping = await _client.PingAsync("Bearer", tokens.AccessToken);
        using var asDPoP = await _client.PingAsync("DPoP", tokens.AccessToken, ApiProof(_key, tokens.AccessToken));

        Assert.Equal("Bearer", tokens.String("token_type"));
        Assert.False(DevServerDPoPClient.PayloadOf(tokens.AccessToken).TryGetProperty("cnf", out _));
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        Assert.False(ping.Headers.Contains("DPoP-Nonce"));
        Assert.Equal(HttpStatusCode.Unauthorized, asDPoP.StatusCode);
        Assert.Equal(("DPoP", "invalid_token"), DevServerDPoPClient.ChallengeOf(asDPoP));
        Assert.Equal(0, _server.Ledger.TokenDPoPProofsAccepted);
    }

    [Fact]
    public async Task A_library_client_without_DPoP_is_unaffected()
    {
        await using var harness = DevServerHarness.Create(_shared);
        harness.AddBasicClient("plain");

        var first = await harness.PingAsync("plain");
        harness.AdvancePastExpiry();
        var second = await harness.PingAsync("plain");

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.Equal(HttpStatusCode.OK, second);
        Assert.Equal(0, harness.Ledger.FailedTokenRequests);
        Assert.Equal(0, harness.Ledger.TokenDPoPProofsAccepted + harness.Ledger.TokenDPoPProofsRefused + harness.Ledger.TokenDPoPNonceChallenges);
        Assert.Equal(0, harness.Ledger.ApiDPoPProofsAccepted + harness.Ledger.ApiDPoPProofsRefused + harness.Ledger.ApiDPoPNonceChallenges);
    }

    [Fact]
    public async Task The_librarys_DPoP_client_gets_bound_tokens_and_calls_the_API_with_a_proof_each_time()
    {
        await using var harness = DevServerHarness.Create(_shared);
        harness.AddClient("dpop", o =>
        {
            o.ClientId = TestTokenServer.BasicClientId;
            o.ClientSecret = TestTokenServer.BasicClientSecret;
            o.Scope = TestTokenServer.OfflineScope;
            o.DPoP = true;
        });

        using var first = await harness.SendPingAsync("dpop");
        harness.AdvancePastExpiry();
        using var second = await harness.SendPingAsync("dpop");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(1, harness.Ledger.TokenRequests(grant: "client_credentials"));
        Assert.Equal(1, harness.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(2, harness.Ledger.TokenDPoPProofsAccepted);
        Assert.Equal(2, harness.Ledger.ApiDPoPProofsAccepted);
        Assert.Equal(0, harness.Ledger.TokenDPoPProofsRefused + harness.Ledger.ApiDPoPProofsRefused);
        Assert.Equal(0, harness.Ledger.ApiRequests(rejected: true));
    }

    [Fact]
    public async Task The_librarys_DPoP_public_client_binds_its_offline_token_on_the_first_refresh_and_keeps_refreshing_with_its_key()
    {
        await using var harness = DevServerHarness.Create(_shared);
        var offlineToken = await harness.GetPublicClientOfflineTokenAsync();
        harness.AddClient("dpop", o =>
        {
            o.ClientId = TestTokenServer.PublicClientId;
            o.ClientSecret = null;
            o.RefreshToken = offlineToken;
            o.DPoP = true;
        });

        using var first = await harness.SendPingAsync("dpop");
        harness.AdvancePastExpiry();
        using var second = await harness.SendPingAsync("dpop");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((TestTokenServer.PublicClientId, TestTokenServer.UserName), await DevServerHarness.ReadCallerAsync(second));
        Assert.Equal(2, harness.Ledger.TokenRequests(grant: "refresh_token"));
        Assert.Equal(0, harness.Ledger.FailedTokenRequests);
        Assert.Equal(2, harness.Ledger.ApiDPoPProofsAccepted);
    }

    public static TheoryData<string> TokenEndpointRefusals => new()
    {
        "a proof for GET", "a proof for another URL", "a proof typed JWT", "a proof whose jwk has the private key",
        "a proof issued 61 s ago", "two proofs", "not a JWT",
    };

    [Theory]
    [MemberData(nameof(TokenEndpointRefusals))]
    public async Task The_token_endpoint_refuses_with_invalid_dpop_proof(string what)
    {
        string[] proofs = what switch
        {
            "a proof for GET" => [_key.Proof(HttpMethod.Get, _server.TokenEndpoint)],
            "a proof for another URL" => [_key.Proof(HttpMethod.Post, _server.RevocationEndpoint)],
            "a proof typed JWT" => [_key.Proof(HttpMethod.Post, _server.TokenEndpoint, type: "JWT")],
            "a proof whose jwk has the private key" => [_key.Proof(HttpMethod.Post, _server.TokenEndpoint, withPrivateKey: true)],
            "a proof issued 61 s ago" => [_key.Proof(HttpMethod.Post, _server.TokenEndpoint, issuedAt: _time.GetUtcNow().AddSeconds(-61))],
            "two proofs" => [Proof(_key), Proof(_key)],
            "not a JWT" => ["not-a-jwt"],
            _ => throw new ArgumentOutOfRangeException(nameof(what), what, null),
        };

        var answer = await _client.ClientCredentialsAsync(proofs);

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("invalid_dpop_proof", answer.String("error"));
        Assert.Equal(1, _server.Ledger.TokenDPoPProofsRefused);
        Assert.Equal(1, _server.Ledger.FailedTokenRequests);
    }

    [Fact]
    public async Task A_proof_whose_htu_differs_only_in_the_case_of_the_scheme_and_by_a_query_is_accepted()
    {
        var htu = "HTTP" + _server.TokenEndpoint.ToString()[4..] + "?x=1";

        var answer = await _client.ClientCredentialsAsync(_key.Proof(HttpMethod.Post, _server.TokenEndpoint, htu: htu));

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("DPoP", answer.String("token_type"));
    }

    [Fact]
    public async Task A_client_revokes_its_bound_access_token()
    {
        var token = (await _client.ClientCredentialsAsync(Proof(_key))).AccessToken;

        using var revoked = await _client.PostAsync(
            _server.RevocationEndpoint,
            new() { ["token"] = token, ["token_type_hint"] = "access_token" },
            basic: $"{TestTokenServer.BasicClientId}:{TestTokenServer.BasicClientSecret}");
        using var ping = await _client.PingAsync("DPoP", token, ApiProof(_key, token));

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, ping.StatusCode);
        Assert.Equal(("DPoP", "invalid_token"), DevServerDPoPClient.ChallengeOf(ping));
    }

    private string Proof(DPoPKey key) => key.Proof(HttpMethod.Post, _server.TokenEndpoint);

    private string ApiProof(DPoPKey key, string token) => key.Proof(HttpMethod.Get, _client.Ping, token);
}
