using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OfflineBearer.Caching;
using OfflineBearer.Tests.Support;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tests.Caching;

/// <summary>
/// A token server outage, with the options a user gets (retries on): a call that starts while its token is valid never
/// fails because the token server is down, and without a valid token the client asks about once a second and recovers
/// on the first request after the server is back; a refusal keeps its long pause. Reported as issue #7.
/// </summary>
public sealed class TokenServerOutageTests
{
    public enum Outage
    {
        ConnectionRefused,
        HostUnreachable,
        HtmlServiceUnavailable,
        Hanging,
    }

    public static TheoryData<Outage, int> Outages
    {
        get
        {
            var data = new TheoryData<Outage, int>();
            foreach (var outage in Enum.GetValues<Outage>())
            {
                data.Add(outage, 6);
                data.Add(outage, 300);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Outages))]
    public async Task A_call_that_starts_with_a_valid_token_never_fails_while_the_token_server_is_down(Outage outage, int lifetimeSeconds)
    {
        using var harness = new Harness(userDefaults: true);
        var lifetime = TimeSpan.FromSeconds(lifetimeSeconds);
        var expiries = IssueTokensTheApiChecks(harness, lifetime);
        using var client = harness.CreateClient();
        (await client.GetAsync("warm-up")).Dispose();
        var usableUntil = harness.Time.GetUtcNow() + lifetime - TokenLifetime.Margin;
        Break(harness, outage);

        // Calls spread over the whole life of the token, dense where it is about to expire.
        var calls = 0;
        var step = lifetimeSeconds < 60 ? TimeSpan.FromMilliseconds(50) : TimeSpan.FromMilliseconds(250);
        while (harness.Time.GetUtcNow() < usableUntil)
        {
            var call = client.GetAsync("items");
            await harness.AdvanceUntilDoneAsync(call, step, TimeSpan.FromMinutes(1));
            using var response = await call;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            calls++;

            var left = usableUntil - harness.Time.GetUtcNow();
            harness.Time.Advance(left > TimeSpan.FromSeconds(15) ? TimeSpan.FromSeconds(5) : step * 3);
        }

        Assert.True(calls >= 10, $"only {calls} calls");
        Assert.True(harness.TokenNetwork.Attempts >= 2, "the client never tried to refresh during the outage");
        Assert.Single(expiries);
    }

    [Theory]
    [MemberData(nameof(Outages))]
    public async Task The_first_call_in_the_last_seconds_of_a_token_does_not_wait_past_its_expiry(Outage outage, int lifetimeSeconds)
    {
        using var harness = new Harness(userDefaults: true);
        var lifetime = TimeSpan.FromSeconds(lifetimeSeconds);
        IssueTokensTheApiChecks(harness, lifetime);
        using var client = harness.CreateClient();
        (await client.GetAsync("warm-up")).Dispose();
        var usableUntil = harness.Time.GetUtcNow() + lifetime - TokenLifetime.Margin;
        Break(harness, outage);

        // No call since the token came, so nothing is paused: this call starts the refresh and waits for it.
        harness.Time.Advance(usableUntil - harness.Time.GetUtcNow() - TimeSpan.FromSeconds(lifetimeSeconds < 60 ? 1 : 3));
        var call = client.GetAsync("items");
        await harness.AdvanceUntilDoneAsync(call, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(1));

        Assert.Equal(HttpStatusCode.OK, (await call).StatusCode);
        Assert.True(harness.Time.GetUtcNow() < usableUntil, "the call waited past the token's life");
    }

    /// <summary>
    /// A confidential client's client_credentials grant is retried within each refresh; a public client's refresh grant
    /// answered with 500 is not (it may have been spent), so there the one-second rule alone sets the pace.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Without_a_valid_token_the_server_sees_about_one_request_a_second_whatever_the_traffic(bool publicClient)
    {
        using var harness = new Harness(
            o =>
            {
                if (publicClient)
                {
                    o.ClientSecret = null;
                    o.RefreshToken = "offline-token-of-a-sensor";
                }
            },
            userDefaults: true);
        using var client = harness.CreateClient();
        (await client.GetAsync("warm-up")).Dispose();
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        if (publicClient)
        {
            harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.InternalServerError));
        }
        else
        {
            Break(harness, Outage.ConnectionRefused);
        }

        var before = harness.TokenNetwork.Attempts;
        var start = harness.Time.GetUtcNow();

        // Five concurrent requests every 100 ms for a minute of outage.
        var failed = 0;
        while (harness.Time.GetUtcNow() - start < TimeSpan.FromMinutes(1))
        {
            var burst = Task.WhenAll(Enumerable.Range(0, 5).Select(_ => client.GetAsync("items")));
            await harness.AdvanceUntilDoneAsync(burst.ContinueWith(_ => { }, TaskScheduler.Default), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));
            failed += burst.IsFaulted ? 1 : 0;
            harness.Time.Advance(TimeSpan.FromMilliseconds(100));
        }

        var seconds = (harness.Time.GetUtcNow() - start).TotalSeconds;
        var attempts = harness.TokenNetwork.Attempts - before;
        Assert.True(attempts <= seconds + 2, $"{attempts} token requests in {seconds:0} s of outage");
        Assert.True(attempts >= seconds / 10, $"only {attempts} token requests in {seconds:0} s of outage: the client stopped trying");
        Assert.True(failed > 0);
    }

    [Theory]
    [InlineData(Outage.ConnectionRefused)]
    [InlineData(Outage.HtmlServiceUnavailable)]
    [InlineData(Outage.Hanging)]
    public async Task Without_a_valid_token_every_request_from_one_second_after_the_server_is_back_succeeds(Outage outage)
    {
        using var harness = new Harness(userDefaults: true);
        using var client = harness.CreateClient();
        (await client.GetAsync("warm-up")).Dispose();
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        Break(harness, outage);

        // Two minutes of outage: long enough for the backoff of a client with a valid token to reach its longest.
        var outageStart = harness.Time.GetUtcNow();
        while (harness.Time.GetUtcNow() - outageStart < TimeSpan.FromMinutes(2))
        {
            var call = client.GetAsync("items");
            await harness.AdvanceUntilDoneAsync(call.ContinueWith(_ => { }, TaskScheduler.Default), TimeSpan.FromMilliseconds(250), TimeSpan.FromMinutes(1));
            Assert.IsType<OfflineBearerException>(call.Exception?.InnerException);
            harness.Time.Advance(TimeSpan.FromMilliseconds(300));
        }

        Repair(harness);
        var back = harness.Time.GetUtcNow();
        var succeeded = 0;
        while (harness.Time.GetUtcNow() - back < TimeSpan.FromSeconds(10))
        {
            var startedAt = harness.Time.GetUtcNow();
            var call = client.GetAsync("items");
            await harness.AdvanceUntilDoneAsync(call.ContinueWith(_ => { }, TaskScheduler.Default), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));
            if (startedAt - back >= FailurePause.WithoutToken)
            {
                Assert.Equal(HttpStatusCode.OK, (await call).StatusCode);
            }

            succeeded += call.IsCompletedSuccessfully ? 1 : 0;
            harness.Time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.True(succeeded > 0);
    }

    [Fact]
    public async Task Without_a_valid_token_a_request_within_a_second_of_a_failure_gets_it_at_once_and_the_next_second_asks_again()
    {
        using var harness = new Harness(userDefaults: true);
        using var client = harness.CreateClient();
        (await client.GetAsync("warm-up")).Dispose();
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        var healthy = harness.OnToken;
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.BadRequest));

        // Six failures in a row: a client with a valid token would now back off for 30 s.
        for (var i = 0; i < 6; i++)
        {
            await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
            harness.Time.Advance(FailurePause.WithoutToken);
        }

        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
        harness.OnToken = healthy;
        harness.Time.Advance(FailurePause.WithoutToken - TimeSpan.FromMilliseconds(1));
        var paused = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
        Assert.Equal(1 + 7, harness.TokenRequests.Count);

        harness.Time.Advance(TimeSpan.FromMilliseconds(1));
        using var recovered = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.BadRequest, paused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
        Assert.Equal(1 + 7 + 1, harness.TokenRequests.Count);
    }

    [Fact]
    public async Task A_refusal_keeps_the_long_pause_even_without_a_valid_token()
    {
        using var harness = new Harness(o =>
        {
            o.ClientSecret = null;
            o.RefreshToken = "offline-token-revoked-by-an-admin";
        }, userDefaults: true);
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error("invalid_grant", "Offline session not active"), HttpStatusCode.BadRequest));
        using var client = harness.CreateClient();

        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
        harness.Time.Advance(FailurePause.AfterRefusal - TimeSpan.FromSeconds(1));
        var again = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
        Assert.Single(harness.TokenRequests);

        harness.Time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal("invalid_grant", again.Error);
        Assert.Equal(2, harness.TokenRequests.Count);
    }

    [Fact]
    public async Task Entering_a_pause_is_logged_with_how_long_and_why()
    {
        using var harness = new Harness(userDefaults: true);
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Error("invalid_client", "Invalid client credentials"), HttpStatusCode.Unauthorized));
        using var client = harness.CreateClient();

        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        var pause = Assert.Single(harness.Logs.GetSnapshot(), r => r.Id.Id == 6);
        Assert.Equal(FailurePause.AfterRefusal.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), pause.GetStructuredStateValue("WithTokenSeconds"));
        Assert.Equal(FailurePause.AfterRefusal.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), pause.GetStructuredStateValue("WithoutTokenSeconds"));
        Assert.Equal("True", pause.GetStructuredStateValue("Refused"));
    }

    /// <summary>Every token lives <paramref name="lifetime"/>; the API refuses a token after its exp, as a real one does.</summary>
    private static ConcurrentDictionary<string, DateTimeOffset> IssueTokensTheApiChecks(Harness harness, TimeSpan lifetime)
    {
        var expiries = new ConcurrentDictionary<string, DateTimeOffset>();
        harness.OnToken = _ =>
        {
            var token = harness.IssueJwt(lifetime);
            expiries[token] = harness.Time.GetUtcNow() + lifetime;
            return Task.FromResult(Harness.Json(TokenJson.Success(token, expiresIn: (int)lifetime.TotalSeconds)));
        };
        harness.OnApi = request => Task.FromResult(
            request.BearerToken is { } token && expiries.TryGetValue(token, out var expiry) && harness.Time.GetUtcNow() < expiry
                ? new HttpResponseMessage(HttpStatusCode.OK)
                : Harness.Unauthorized());
        return expiries;
    }

    private static void Break(Harness harness, Outage outage)
    {
        switch (outage)
        {
            case Outage.ConnectionRefused:
                harness.TokenNetwork.Fault = new HttpRequestException(
                    HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused));
                break;
            case Outage.HostUnreachable:
                harness.TokenNetwork.Fault = new HttpRequestException(
                    HttpRequestError.NameResolutionError, "Name or service not known", new SocketException((int)SocketError.HostNotFound));
                break;
            case Outage.HtmlServiceUnavailable:
                harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
                {
                    Content = new StringContent("<html><body><h1>503 Service Unavailable</h1></body></html>", Encoding.UTF8, "text/html"),
                });
                break;
            case Outage.Hanging:
                harness.TokenNetwork.Hang = true;
                break;
        }
    }

    private static void Repair(Harness harness)
    {
        harness.TokenNetwork.Fault = null;
        harness.TokenNetwork.Hang = false;
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)))));
    }
}
