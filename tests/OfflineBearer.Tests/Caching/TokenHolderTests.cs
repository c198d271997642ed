using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;
using OfflineBearer.Caching;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.Caching;

public sealed class TokenHolderTests
{
    [Fact]
    public async Task First_request_gets_a_token_by_client_credentials_and_sends_it_as_bearer()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();

        using var response = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tokenRequest = Assert.Single(harness.TokenRequests);
        Assert.Equal("client_credentials", tokenRequest.GrantType);
        Assert.Equal("offline_access", tokenRequest.Form["scope"]);
        var apiRequest = Assert.Single(harness.ApiRequests);
        Assert.StartsWith("eyJ", apiRequest.BearerToken, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cached_token_serves_many_requests_with_one_token_request()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();

        for (var i = 0; i < 10; i++)
        {
            using var response = await client.GetAsync("items");
            harness.Time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.Single(harness.TokenRequests);
        Assert.Single(harness.ApiRequests.Select(r => r.BearerToken).Distinct());
    }

    [Fact]
    public async Task A_refresh_token_from_the_response_is_used_for_the_next_token()
    {
        using var harness = new Harness();
        var refreshToken = harness.IssueRefreshToken();
        harness.OnToken = request => Task.FromResult(Harness.Json(TokenJson.Success(
            harness.IssueJwt(TimeSpan.FromMinutes(5)),
            refreshToken: request.GrantType == "client_credentials" ? refreshToken : null)));
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();

        harness.Time.Advance(TimeSpan.FromMinutes(5));
        (await client.GetAsync("items")).Dispose();

        var refresh = harness.TokenRequests.Last();
        Assert.Equal("refresh_token", refresh.GrantType);
        Assert.Equal(refreshToken, refresh.Form["refresh_token"]);
        Assert.False(refresh.Form.ContainsKey("scope"));
    }

    [Fact]
    public async Task Rotated_refresh_tokens_are_kept_across_three_refreshes()
    {
        using var harness = new Harness();
        var handedOut = new List<string>();
        harness.OnToken = _ =>
        {
            var next = harness.IssueRefreshToken();
            handedOut.Add(next);
            return Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)), refreshToken: next)));
        };
        using var client = harness.CreateClient();

        for (var i = 0; i < 4; i++)
        {
            (await client.GetAsync("items")).Dispose();
            harness.Time.Advance(TimeSpan.FromMinutes(5));
        }

        var presented = harness.TokenRequests.Skip(1).Select(r => r.Form["refresh_token"]).ToList();
        Assert.Equal(handedOut.Take(3), presented);
    }

    [Fact]
    public async Task A_refresh_response_without_a_refresh_token_keeps_the_old_one()
    {
        var offlineToken = "offline-token-from-a-browser-login";
        using var harness = new Harness(o => o.RefreshToken = offlineToken);
        using var client = harness.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            (await client.GetAsync("items")).Dispose();
            harness.Time.Advance(TimeSpan.FromMinutes(5));
        }

        Assert.All(harness.TokenRequests, r => Assert.Equal(offlineToken, r.Form["refresh_token"]));
        Assert.Equal(3, harness.TokenRequests.Count);
    }

    [Fact]
    public async Task A_public_client_sends_only_its_client_id_with_the_refresh_token()
    {
        using var harness = new Harness(o =>
        {
            o.ClientSecret = null;
            o.RefreshToken = "offline-token-of-a-public-client";
        });
        using var client = harness.CreateClient();

        (await client.GetAsync("items")).Dispose();

        var request = Assert.Single(harness.TokenRequests);
        Assert.Null(request.Authorization);
        Assert.Equal(Harness.ClientId, request.Form["client_id"]);
        Assert.Equal("refresh_token", request.GrantType);
        Assert.False(request.Form.ContainsKey("client_secret"));
    }

    [Fact]
    public async Task Before_the_refresh_window_one_background_refresh_starts_and_callers_keep_the_current_token()
    {
        // The token request below stays in flight while the clock moves minutes: give it time not to be abandoned.
        using var harness = new Harness(o => o.TokenRequestAttemptTimeout = o.TokenRequestTimeout = TimeSpan.FromHours(1));
        var hold = new TaskCompletionSource();
        var backgroundRequestArrived = new TaskCompletionSource();
        harness.OnToken = async _ =>
        {
            if (harness.TokenRequests.Count > 1)
            {
                backgroundRequestArrived.SetResult();
                await hold.Task;
            }

            return Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromHours(1))));
        };
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        var first = harness.ApiRequests.Single().BearerToken;

        harness.Time.Advance(TimeSpan.FromMinutes(42)); // 0.70 of an hour, at or past any jitter's start
        harness.Time.Advance(TimeSpan.FromMinutes(6.1)); // 0.80+ of an hour, before the 60 s window
        for (var i = 0; i < 5; i++)
        {
            (await client.GetAsync("items")).Dispose();
        }

        await backgroundRequestArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(harness.ApiRequests, r => Assert.Equal(first, r.BearerToken));
        Assert.Equal(2, harness.TokenRequests.Count);

        hold.SetResult();
        harness.Time.Advance(TimeSpan.FromMinutes(11)); // inside the window: waits for the refresh in flight
        (await client.GetAsync("items")).Dispose();

        Assert.Equal(2, harness.TokenRequests.Count);
        Assert.NotEqual(first, harness.ApiRequests.Last().BearerToken);
    }

    [Fact]
    public async Task No_background_refresh_starts_before_about_three_quarters_of_the_lifetime()
    {
        using var harness = new Harness(o => o.RefreshBeforeExpiry = TimeSpan.FromMinutes(1));
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromHours(1)))));
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();

        harness.Time.Advance(TimeSpan.FromMinutes(41)); // 0.68 of the lifetime
        (await client.GetAsync("items")).Dispose();

        Assert.Single(harness.TokenRequests);
    }

    /// <summary>At its refresh point the holder hands the current token back at once and refreshes with nobody waiting.</summary>
    [Fact]
    public async Task A_request_in_the_refresh_window_gets_the_current_token_and_starts_a_background_refresh()
    {
        using var harness = new Harness();
        var holder = harness.Services.GetRequiredService<TokenHolderRegistry>().Get(Harness.ClientName);
        var first = await holder.GetTokenAsync(CancellationToken.None);
        var secondRequest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = harness.OnToken;
        harness.OnToken = request =>
        {
            secondRequest.TrySetResult();
            return answer(request);
        };
        harness.Time.Advance(harness.Time.GetElapsedTime(harness.Time.GetTimestamp(), first.RefreshAt));

        var token = holder.GetTokenAsync(CancellationToken.None);

        Assert.True(token.IsCompletedSuccessfully);
        Assert.Same(first, await token);
        await secondRequest.Task.WaitAsync(TimeSpan.FromSeconds(30)); // a hang guard, not a measurement
        Assert.Equal(2, harness.TokenRequests.Count);
    }

    [Fact]
    public async Task Inside_the_refresh_window_no_request_leaves_with_the_old_token()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        var first = harness.ApiRequests.Single().BearerToken;

        harness.Time.Advance(TimeSpan.FromSeconds(250)); // 5-minute token, 60 s window starts at 239 s
        (await client.GetAsync("items")).Dispose();

        Assert.Equal(2, harness.TokenRequests.Count);
        Assert.NotEqual(first, harness.ApiRequests.Last().BearerToken);
    }

    [Fact]
    public async Task A_short_lived_token_is_not_refreshed_on_every_call()
    {
        using var harness = new Harness();
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromSeconds(60)))));
        using var client = harness.CreateClient();

        for (var i = 0; i < 5; i++)
        {
            (await client.GetAsync("items")).Dispose();
            harness.Time.Advance(TimeSpan.FromSeconds(5));
        }

        // The 60 s window is clamped to half of the 60 s lifetime, so the first 25 s need one token.
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task A_failed_refresh_never_takes_away_a_token_that_has_not_expired()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        var first = harness.ApiRequests.Single().BearerToken;
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));

        harness.Time.Advance(TimeSpan.FromSeconds(250));
        using var response = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(first, harness.ApiRequests.Last().BearerToken);
    }

    [Fact]
    public async Task After_a_failed_refresh_the_next_attempt_waits_for_a_pause()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        harness.Time.Advance(TimeSpan.FromSeconds(250));

        for (var i = 0; i < 20; i++)
        {
            (await client.GetAsync("items")).Dispose();
        }

        Assert.Equal(2, harness.TokenRequests.Count);

        harness.Time.Advance(TimeSpan.FromSeconds(2));
        (await client.GetAsync("items")).Dispose();

        Assert.Equal(3, harness.TokenRequests.Count);
    }

    [Fact]
    public async Task An_expired_token_and_a_down_server_fail_fast_and_recover_when_the_server_returns()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        var healthy = harness.OnToken;
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.BadGateway));
        harness.Time.Advance(TimeSpan.FromMinutes(6));

        var first = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
        var second = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal(HttpStatusCode.BadGateway, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, second.StatusCode);
        Assert.Equal(2, harness.TokenRequests.Count);
        Assert.Single(harness.ApiRequests);

        harness.OnToken = healthy;
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        using var recovered = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
    }

    [Fact]
    public async Task Concurrent_callers_at_expiry_cause_one_token_request()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        var release = new TaskCompletionSource();
        var healthy = harness.OnToken;
        harness.OnToken = async request =>
        {
            await release.Task;
            return await healthy(request);
        };
        harness.Time.Advance(TimeSpan.FromMinutes(6));

        var calls = Enumerable.Range(0, 1000).Select(_ => client.GetAsync("items")).ToList();
        release.SetResult();
        var responses = await Task.WhenAll(calls);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(2, harness.TokenRequests.Count);
        Assert.Single(harness.ApiRequests.Skip(1).Select(r => r.BearerToken).Distinct());
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task A_caller_that_cancels_does_not_cancel_the_refresh_others_wait_for()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        var release = new TaskCompletionSource();
        var healthy = harness.OnToken;
        harness.OnToken = async request =>
        {
            await release.Task;
            return await healthy(request);
        };
        using var impatient = new CancellationTokenSource();

        var cancelled = client.GetAsync("items", impatient.Token);
        var patient = client.GetAsync("items");
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        release.SetResult();
        using var response = await patient;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task A_revoked_offline_token_of_a_public_client_gives_invalid_grant_without_hammering_the_server()
    {
        using var harness = new Harness(o =>
        {
            o.ClientSecret = null;
            o.RefreshToken = "revoked-offline-token";
        });
        harness.OnToken = _ => Task.FromResult(Harness.Json(
            TokenJson.Error("invalid_grant", "Offline user session not found"), HttpStatusCode.BadRequest));
        using var client = harness.CreateClient();

        var first = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
        var again = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal("invalid_grant", first.Error);
        Assert.Equal("Offline user session not found", first.ErrorDescription);
        Assert.Equal(HttpStatusCode.BadRequest, first.StatusCode);
        Assert.Contains("no longer valid", first.Message, StringComparison.Ordinal);
        Assert.Contains(Harness.ClientName, first.Message, StringComparison.Ordinal);
        Assert.Equal("invalid_grant", again.Error);
        Assert.Single(harness.TokenRequests);
        Assert.Empty(harness.ApiRequests);
    }

    [Fact]
    public async Task A_wrong_client_secret_is_a_configuration_error_that_is_not_retried_in_a_loop()
    {
        using var harness = new Harness();
        harness.OnToken = _ => Task.FromResult(Harness.Json(
            TokenJson.Error("unauthorized_client", "Invalid client or Invalid client credentials"), HttpStatusCode.Unauthorized));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
        await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));

        Assert.Equal("unauthorized_client", error.Error);
        Assert.Contains("ClientSecret", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Harness.ClientSecret, error.ToString(), StringComparison.Ordinal);
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task The_token_survives_the_factory_recycling_the_handler_pipeline()
    {
        using var harness = new Harness();
        var factoryOptions = harness.Services.GetRequiredService<IOptionsMonitor<HttpClientFactoryOptions>>().Get(Harness.ClientName);

        // Build the named client's pipeline twice, as IHttpClientFactory does when a handler's lifetime ends.
        foreach (var _ in Enumerable.Range(0, 2))
        {
            var builder = harness.Services.GetRequiredService<HttpMessageHandlerBuilder>();
            builder.Name = Harness.ClientName;
            foreach (var configure in factoryOptions.HttpMessageHandlerBuilderActions)
            {
                configure(builder);
            }

            using var client = new HttpClient(builder.Build(), disposeHandler: false) { BaseAddress = Harness.ApiBase };
            (await client.GetAsync("items")).Dispose();
        }

        Assert.Single(harness.TokenRequests);
        Assert.Equal(2, harness.ApiRequests.Count);
    }

    [Fact]
    public async Task Every_client_made_by_the_factory_shares_one_token()
    {
        using var harness = new Harness();

        foreach (var _ in Enumerable.Range(0, 3))
        {
            using var client = harness.CreateClient();
            (await client.GetAsync("items")).Dispose();
        }

        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task The_refresh_window_starts_exactly_where_the_schedule_says()
    {
        // 60-second JWT: 59 s after the margin, a window clamped to 29.5 s, so waiting starts 29.5 s after the request.
        using var harness = new Harness();
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromSeconds(60)))));
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();

        harness.Time.Advance(TimeSpan.FromSeconds(29.5) - TimeSpan.FromTicks(1));
        (await client.GetAsync("items")).Dispose();
        Assert.Single(harness.TokenRequests);

        harness.Time.Advance(TimeSpan.FromTicks(1));
        (await client.GetAsync("items")).Dispose();

        Assert.Equal(2, harness.TokenRequests.Count);
        Assert.NotEqual(harness.ApiRequests.First().BearerToken, harness.ApiRequests.Last().BearerToken);
    }

    [Fact]
    public async Task After_a_success_the_next_failure_pauses_one_second_again()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        var healthy = harness.OnToken;
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));

        // Inside the refresh window of a valid token: five failures, backing off 1, 2, 4, 8 and 16 s.
        harness.Time.Advance(TimeSpan.FromSeconds(241));
        foreach (var pause in new[] { 1, 2, 4, 8, 16 })
        {
            (await client.GetAsync("items")).Dispose();
            harness.Time.Advance(TimeSpan.FromSeconds(pause));
        }

        harness.OnToken = healthy;
        (await client.GetAsync("items")).Dispose();
        var afterSuccess = harness.TokenRequests.Count;
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        harness.Time.Advance(TimeSpan.FromSeconds(241));
        (await client.GetAsync("items")).Dispose();
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        (await client.GetAsync("items")).Dispose();

        Assert.Equal(afterSuccess + 2, harness.TokenRequests.Count);
    }

    [Fact]
    public async Task A_refresh_token_refused_for_good_is_not_tried_again_after_the_fall_back()
    {
        using var harness = new Harness(o => o.RefreshToken = "offline-token-revoked-by-an-admin");
        harness.OnToken = request => Task.FromResult(request.GrantType == "refresh_token"
            ? Harness.Json(TokenJson.Error("invalid_grant", "Offline session not active"), HttpStatusCode.BadRequest)
            : Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)))));
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();

        harness.Time.Advance(TimeSpan.FromMinutes(5));
        (await client.GetAsync("items")).Dispose();

        Assert.Equal(["refresh_token", "client_credentials", "client_credentials"], harness.TokenRequests.Select(r => r.GrantType));
    }

    [Fact]
    public async Task A_token_the_api_refused_counts_as_no_valid_token_for_the_pause()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        await harness.RevokeTheFirstTokenAsync(client);
        var healthy = harness.OnToken;
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));

        // Six failed renewals after 401s: a client with a valid token would now back off for 30 s; this one has none.
        for (var i = 0; i < 6; i++)
        {
            await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }

        harness.OnToken = healthy;
        using var response = await client.GetAsync("items");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Keep_alive_refreshes_once_the_client_has_been_idle_exactly_the_interval()
    {
        using var harness = new Harness(o =>
        {
            o.ClientSecret = null;
            o.RefreshToken = "offline-token-of-an-idle-sensor";
        });
        var holder = harness.Services.GetRequiredService<TokenHolderRegistry>().Get(Harness.ClientName);

        harness.Time.Advance(TimeSpan.FromDays(7) - TimeSpan.FromTicks(1));
        await holder.KeepAliveAsync(TimeSpan.FromDays(7), CancellationToken.None);
        Assert.Empty(harness.TokenRequests);

        harness.Time.Advance(TimeSpan.FromTicks(1));
        await holder.KeepAliveAsync(TimeSpan.FromDays(7), CancellationToken.None);

        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task Keep_alive_of_a_client_whose_token_is_valid_respects_the_backoff()
    {
        using var harness = new Harness(o =>
        {
            o.ClientSecret = null;
            o.RefreshToken = "offline-token-of-an-idle-sensor";
        });
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromDays(30)), expiresIn: null)));
        using var client = harness.CreateClient();
        (await client.GetAsync("items")).Dispose();
        var holder = harness.Services.GetRequiredService<TokenHolderRegistry>().Get(Harness.ClientName);
        harness.OnToken = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        harness.Time.Advance(TimeSpan.FromDays(7));

        // Backoffs of 1, 2 and 4 s; a keep-alive two seconds after the third failure is still inside the pause.
        foreach (var pause in new[] { 1, 2, 4 })
        {
            await holder.KeepAliveAsync(TimeSpan.FromDays(7), CancellationToken.None);
            harness.Time.Advance(TimeSpan.FromSeconds(pause == 4 ? 2 : pause));
        }

        await holder.KeepAliveAsync(TimeSpan.FromDays(7), CancellationToken.None);

        Assert.Equal(1 + 3, harness.TokenRequests.Count);
    }
}
