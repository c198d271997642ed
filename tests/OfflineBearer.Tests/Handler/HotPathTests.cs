using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Caching;
using OfflineBearer.Handler;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.Handler;

/// <summary>
/// The fresh path (#11): before a token's refresh point a request reads no clock and, when the API's answer is already
/// complete and not a 401, gets the inner handler's own task. A timer hands requests back to the clock at the refresh
/// point; everything the clock decides after it is tested in <see cref="Caching.TokenHolderTests"/>.
/// </summary>
public sealed class HotPathTests
{
    [Fact]
    public async Task A_fresh_token_is_sent_without_reading_the_clock()
    {
        var clock = new CountingTime();
        using var harness = new Harness(services: s => s.AddSingleton<TimeProvider>(clock.WrapAround));
        clock.Use(harness.Time);
        using var client = harness.CreateClient();
        (await client.GetAsync("warm-up")).Dispose();

        clock.Reads = 0;
        for (var i = 0; i < 3; i++)
        {
            (await client.GetAsync("items")).Dispose();
        }

        Assert.Equal(0, clock.Reads);
        Assert.Single(harness.TokenRequests);
        Assert.Single(harness.ApiRequests.Select(r => r.BearerToken).Distinct());
    }

    [Fact]
    public async Task At_the_refresh_point_to_the_tick_requests_go_back_to_the_clock_and_one_background_refresh_starts()
    {
        var clock = new CountingTime();
        using var harness = new Harness(services: s => s.AddSingleton<TimeProvider>(clock.WrapAround));
        clock.Use(harness.Time);
        using var client = harness.CreateClient();
        (await client.GetAsync("warm-up")).Dispose();
        var (refreshAt, mustRefreshAt) = (Holder(harness).Current!.RefreshAt, Holder(harness).Current!.MustRefreshAt);

        harness.Time.Advance(harness.Time.GetElapsedTime(harness.Time.GetTimestamp(), refreshAt) - TimeSpan.FromTicks(1));
        clock.Reads = 0;
        (await client.GetAsync("items")).Dispose();
        Assert.Equal(0, clock.Reads);

        harness.Time.Advance(TimeSpan.FromTicks(1));
        clock.Reads = 0;
        (await client.GetAsync("items")).Dispose();
        Assert.NotEqual(0, clock.Reads);

        Assert.Equal(harness.ApiRequests.First().BearerToken, harness.ApiRequests.Last().BearerToken);

        // In the old token's refresh window a caller waits for the refresh started above, if it is still running.
        harness.Time.Advance(harness.Time.GetElapsedTime(harness.Time.GetTimestamp(), mustRefreshAt));
        (await client.GetAsync("items")).Dispose();
        clock.Reads = 0;
        (await client.GetAsync("items")).Dispose();
        Assert.Equal(0, clock.Reads);
        Assert.Equal(2, harness.TokenRequests.Count);
        Assert.NotEqual(harness.ApiRequests.First().BearerToken, harness.ApiRequests.Last().BearerToken);
    }

    [Fact]
    public async Task A_token_that_lives_a_year_stays_on_the_hot_path_past_the_timers_limit_and_still_refreshes()
    {
        var clock = new CountingTime();
        using var harness = new Harness(services: s => s.AddSingleton<TimeProvider>(clock.WrapAround));
        clock.Use(harness.Time);
        harness.OnToken = _ => Task.FromResult(Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromDays(365)), expiresIn: 365 * 86400)));
        using var client = harness.CreateClient();
        (await client.GetAsync("warm-up")).Dispose();
        Assert.Equal(RefreshPointTimer.LongestWait, clock.Timer!.LastDue);

        for (var day = 0; day < 3; day++)
        {
            harness.Time.Advance(TimeSpan.FromDays(1));
            clock.Reads = 0;
            (await client.GetAsync("items")).Dispose();
            Assert.Equal(0, clock.Reads);
        }

        var refreshAt = Holder(harness).Current!.RefreshAt;
        while (harness.Time.GetTimestamp() < refreshAt)
        {
            harness.Time.Advance(TimeSpan.FromDays(1));
        }

        var secondRequest = new TaskCompletionSource();
        var answer = harness.OnToken;
        harness.OnToken = request =>
        {
            secondRequest.TrySetResult();
            return answer(request);
        };
        (await client.GetAsync("items")).Dispose();
        await secondRequest.Task.WaitAsync(TimeSpan.FromSeconds(30)); // a hang guard, not a measurement
        Assert.Equal(2, harness.TokenRequests.Count);
    }

    [Fact]
    public async Task Disposing_the_provider_stops_the_timer_and_the_timer_keeps_no_callers_context()
    {
        var clock = new CountingTime();
        var harness = new Harness(services: s => s.AddSingleton<TimeProvider>(clock.WrapAround));
        clock.Use(harness.Time);
        using (var client = harness.CreateClient())
        {
            (await client.GetAsync("warm-up")).Dispose();
        }

        Assert.True(clock.FlowSuppressedWhenTimerCreated);
        Assert.False(clock.Timer!.Disposed);
        harness.Dispose();
        Assert.True(clock.Timer.Disposed);
    }

    [Fact]
    public async Task A_complete_answer_that_is_not_a_401_is_the_inner_handlers_own_task()
    {
        using var harness = new Harness();
        var holder = Holder(harness);
        await holder.GetTokenAsync(CancellationToken.None);
        var answer = Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        using var invoker = new HttpMessageInvoker(new OfflineBearerHandler(holder, NullLogger.Instance) { InnerHandler = new Answers(_ => answer) });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Harness.ApiBase, "items"));

        var sent = invoker.SendAsync(request, CancellationToken.None);

        Assert.Same(answer, sent);
        Assert.Equal(holder.Current!.Header, request.Headers.Authorization);
    }

    [Fact]
    public async Task A_401_that_is_already_complete_is_resent_once_with_a_new_token()
    {
        using var harness = new Harness();
        var holder = Holder(harness);
        var first = await holder.GetTokenAsync(CancellationToken.None);
        var sentWith = new List<string?>();
        using var invoker = new HttpMessageInvoker(new OfflineBearerHandler(holder, NullLogger.Instance)
        {
            InnerHandler = new Answers(request =>
            {
                sentWith.Add(request.Headers.Authorization?.Parameter);
                return Task.FromResult(sentWith.Count == 1 ? Harness.Unauthorized() : new HttpResponseMessage(HttpStatusCode.OK));
            }),
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Harness.ApiBase, "items"));

        using var response = await invoker.SendAsync(request, CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, sentWith.Count);
        Assert.Equal(first.Header.Parameter, sentWith[0]);
        Assert.NotEqual(sentWith[0], sentWith[1]);
        Assert.Equal(2, harness.TokenRequests.Count);
    }

    [Fact]
    public async Task An_answer_still_in_flight_is_awaited_and_a_401_in_it_is_resent()
    {
        using var harness = new Harness();
        var holder = Holder(harness);
        await holder.GetTokenAsync(CancellationToken.None);
        var firstAnswer = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        using var invoker = new HttpMessageInvoker(new OfflineBearerHandler(holder, NullLogger.Instance)
        {
            InnerHandler = new Answers(_ => ++calls == 1 ? firstAnswer.Task : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK))),
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Harness.ApiBase, "items"));

        var sending = invoker.SendAsync(request, CancellationToken.None);
        Assert.False(sending.IsCompleted);
        firstAnswer.SetResult(Harness.Unauthorized());
        using var response = await sending;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, calls);
    }

    private static TokenHolder Holder(Harness harness) =>
        harness.Services.GetRequiredService<TokenHolderRegistry>().Get(Harness.ClientName);

    private sealed class Answers(Func<HttpRequestMessage, Task<HttpResponseMessage>> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => answer(request);
    }

    /// <summary>The harness's fake clock, counting timestamp reads and recording the one timer the holder makes.</summary>
    private sealed class CountingTime : TimeProvider
    {
        private FakeTimeProvider? _fake;

        public int Reads;

        public RecordingTimer? Timer { get; private set; }

        public bool FlowSuppressedWhenTimerCreated { get; private set; }

        /// <summary>Registered as the TimeProvider; the fake is set before anything reads it.</summary>
        public TimeProvider WrapAround => this;

        public void Use(FakeTimeProvider fake) => _fake = fake;

        public override long TimestampFrequency => _fake!.TimestampFrequency;

        public override long GetTimestamp()
        {
            Interlocked.Increment(ref Reads);
            return _fake!.GetTimestamp();
        }

        public override DateTimeOffset GetUtcNow() => _fake!.GetUtcNow();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new RecordingTimer(_fake!.CreateTimer(callback, state, dueTime, period));
            if (state is Action { Target: TokenHolder })
            {
                Timer = timer;
                FlowSuppressedWhenTimerCreated = ExecutionContext.IsFlowSuppressed();
            }

            return timer;
        }
    }

    private sealed class RecordingTimer(ITimer inner) : ITimer
    {
        public TimeSpan LastDue { get; private set; }

        public bool Disposed { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            LastDue = dueTime;
            return inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            Disposed = true;
            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
