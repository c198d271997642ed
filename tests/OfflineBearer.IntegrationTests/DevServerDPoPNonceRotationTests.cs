using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OfflineBearer.Testing;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

/// <summary>
/// The library's DPoP client against a development server whose nonce changes every second
/// (<see cref="TestTokenServerOptions.DPoPNonceRotationInterval"/>), the clock shared by server and client and moved by the
/// test: concurrent requests that left with the old nonce are each resent once with the new one, at the API and at the
/// token endpoint, whichever request learned the new nonce first (issue 18).
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class DevServerDPoPNonceRotationTests(DevServerDPoPRotatingNonceServer server) : IClassFixture<DevServerDPoPRotatingNonceServer>
{
    private const int Callers = 16;

    private readonly SharedDevServer _shared = server.Shared;

    [Fact]
    public async Task The_nonce_changes_every_interval_of_the_servers_clock_and_only_the_current_one_is_accepted()
    {
        using var key = new DPoPKey(_shared.Time);
        using var client = new DevServerDPoPClient(_shared.Server);
        var first = (await client.ClientCredentialsAsync(Proof(null))).Nonce;
        var sameInterval = (await client.ClientCredentialsAsync(Proof(first))).Nonce;

        _shared.Time.Advance(DevServerDPoPRotatingNonceServer.RotationInterval);
        var stale = await client.ClientCredentialsAsync(Proof(first));
        var fresh = await client.ClientCredentialsAsync(Proof(stale.Nonce));

        Assert.Equal(first, sameInterval);
        Assert.Equal("use_dpop_nonce", stale.String("error"));
        Assert.NotEqual(first, stale.Nonce);
        Assert.Equal(HttpStatusCode.OK, fresh.Status);

        string Proof(string? nonce) => key.Proof(HttpMethod.Post, _shared.Server.TokenEndpoint, nonce: nonce);
    }

    [Fact]
    public async Task A_rotation_interval_needs_the_nonce_required_and_a_positive_length()
    {
        var withoutNonce = new TestTokenServerOptions { DPoPNonceRotationInterval = TimeSpan.FromSeconds(1) };
        var zero = new TestTokenServerOptions { RequireDPoPNonce = true, DPoPNonceRotationInterval = TimeSpan.Zero };

        var refusals = await Task.WhenAll(
            Assert.ThrowsAsync<ArgumentException>(() => TestTokenServer.StartAsync(withoutNonce)),
            Assert.ThrowsAsync<ArgumentException>(() => TestTokenServer.StartAsync(zero)));

        Assert.All(refusals, refusal => Assert.StartsWith("DPoPNonceRotationInterval must be positive and needs RequireDPoPNonce", refusal.Message, StringComparison.Ordinal));
    }

    /// <summary>
    /// 16 callers in rounds for three token lifetimes, all of a round's first sends leaving together, then the clock moves
    /// one rotation: each round's callers carry the nonce the last round ended with, so one answer teaches the client the
    /// new nonce while the other requests are still out with the old one. Counted by the server: no call fails, and no
    /// request goes to the API more than twice for a nonce (plus once for a renewed token, of which there should be none).
    /// </summary>
    [Fact]
    public async Task Concurrent_callers_fail_no_call_while_the_nonce_rotates_every_second()
    {
        await using var harness = DevServerHarness.Create(_shared);
        var barrier = new SendBarrier();
        harness.AddClient("dpop", o =>
        {
            o.ClientId = TestTokenServer.BasicClientId;
            o.ClientSecret = TestTokenServer.BasicClientSecret;
            o.DPoP = true;
        }).AddHttpMessageHandler(() => barrier);
        var client = harness.CreateClient("dpop");
        var rounds = (int)(3 * _shared.AccessTokenLifetime / DevServerDPoPRotatingNonceServer.RotationInterval);
        var statuses = new List<HttpStatusCode>();

        for (var round = 0; round < rounds; round++)
        {
            barrier.StartRound(Callers);
            statuses.AddRange(await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => DevServerHarness.PingAsync(client))));
            harness.Time.Advance(DevServerDPoPRotatingNonceServer.RotationInterval);
        }

        var stats = harness.Ledger;
        var calls = rounds * Callers;
        Assert.Equal(calls, statuses.Count(status => status == HttpStatusCode.OK));
        Assert.Equal(calls, stats.ApiDPoPProofsAccepted);
        Assert.InRange(stats.ApiDPoPNonceChallenges, Callers, calls);
        Assert.InRange(stats.ApiRequests(), calls, (2 * calls) + (stats.ApiRequests(rejected: true) - stats.ApiDPoPNonceChallenges));
        Assert.Equal(0, stats.ApiDPoPProofsRefused + stats.TokenDPoPProofsRefused);
        Assert.Equal(stats.TokenDPoPNonceChallenges, stats.FailedTokenRequests);
        Assert.True(stats.TokenDPoPProofsAccepted >= 3, $"{stats.TokenDPoPProofsAccepted} tokens in three token lifetimes.");
    }

    /// <summary>
    /// A background refresh leaves with the old nonce and is held at the gate while the round's API calls are answered
    /// with the new one, so the client knows the nonce its token request is then challenged for: it is retried with it.
    /// </summary>
    [Fact]
    public async Task A_token_request_that_left_with_the_old_nonce_is_retried_when_an_API_call_learned_the_new_one_first()
    {
        await using var harness = DevServerHarness.Create(_shared);
        var barrier = new SendBarrier();
        var gate = new SendGate();
        harness.AddClient("dpop", o =>
        {
            o.ClientId = TestTokenServer.BasicClientId;
            o.ClientSecret = TestTokenServer.BasicClientSecret;
            o.DPoP = true;
            o.RefreshBeforeExpiry = TimeSpan.FromSeconds(1); // a refresh window in which calls go on with the current token
        }).AddHttpMessageHandler(() => barrier);
        harness.TokenEndpointClient("dpop").AddHttpMessageHandler(() => gate);
        var client = harness.CreateClient("dpop");
        Assert.Equal(HttpStatusCode.OK, await DevServerHarness.PingAsync(client));
        harness.Ledger.Reset();

        gate.Close();
        barrier.StartRound(Callers, alsoWaitFor: gate.Held);
        harness.Time.Advance(TimeSpan.FromSeconds(7.5)); // past the refresh point (70 to 80 % of the token's 9 s), before the last second
        var statuses = await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => DevServerHarness.PingAsync(client)));
        gate.Open();
        var tokenAnswers = await gate.AnswersAsync(2, patience: TimeSpan.FromSeconds(10)); // only a failing run waits that long

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(Callers, harness.Ledger.ApiDPoPNonceChallenges);
        Assert.Equal([HttpStatusCode.BadRequest, HttpStatusCode.OK], tokenAnswers);
        Assert.Equal((1, 1), (harness.Ledger.TokenDPoPNonceChallenges, harness.Ledger.TokenDPoPProofsAccepted));
    }
}
