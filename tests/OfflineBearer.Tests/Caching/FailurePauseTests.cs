using System.Net;
using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Caching;

namespace OfflineBearer.Tests.Caching;

public sealed class FailurePauseTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void With_a_valid_token_the_backoff_doubles_from_one_second_to_thirty()
    {
        var pause = new FailurePause(_time);

        var backoffs = Enumerable.Range(0, 8).Select(_ => pause.Record(Transient()).WithToken.TotalSeconds);

        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], backoffs);
    }

    [Fact]
    public void Without_a_valid_token_a_request_may_ask_again_one_second_after_any_transient_failure()
    {
        var pause = new FailurePause(_time);
        for (var i = 0; i < 6; i++)
        {
            pause.Record(Transient());
        }

        _time.Advance(TimeSpan.FromSeconds(1) - TimeSpan.FromTicks(1));
        var now = _time.GetTimestamp();
        Assert.False(pause.AllowsRequest(now, holdsValidToken: false));

        _time.Advance(TimeSpan.FromTicks(1));
        Assert.True(pause.AllowsRequest(_time.GetTimestamp(), holdsValidToken: false));
        Assert.False(pause.AllowsRequest(_time.GetTimestamp(), holdsValidToken: true));
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, "invalid_grant", true)]
    [InlineData(HttpStatusCode.Unauthorized, "unauthorized_client", true)]
    [InlineData(HttpStatusCode.BadRequest, null, false)]
    [InlineData(HttpStatusCode.RequestTimeout, "timeout", false)]
    [InlineData(HttpStatusCode.TooManyRequests, "slow_down", false)]
    [InlineData(HttpStatusCode.InternalServerError, "server_error", false)]
    [InlineData(HttpStatusCode.OK, "invalid_request", false)]
    public void Only_an_oauth_error_in_a_4xx_answer_is_a_refusal_that_pauses_five_minutes_either_way(HttpStatusCode status, string? error, bool refusal)
    {
        var pause = new FailurePause(_time);

        var (withToken, withoutToken) = pause.Record(new OfflineBearerException("refused", error, null, status));

        Assert.Equal(refusal, FailurePause.IsRefusal(new OfflineBearerException("refused", error, null, status)));
        Assert.Equal(refusal ? TimeSpan.FromMinutes(5) : TimeSpan.FromSeconds(1), withToken);
        Assert.Equal(refusal ? TimeSpan.FromMinutes(5) : TimeSpan.FromSeconds(1), withoutToken);
    }

    [Fact]
    public void Reset_clears_the_pause_and_the_count_of_failures()
    {
        var pause = new FailurePause(_time);
        for (var i = 0; i < 5; i++)
        {
            pause.Record(Transient());
        }

        pause.Reset();

        Assert.True(pause.AllowsRequest(_time.GetTimestamp(), holdsValidToken: true));
        Assert.Equal(TimeSpan.FromSeconds(1), pause.Record(Transient()).WithToken);
    }

    [Fact]
    public void A_new_pause_allows_nothing_until_it_ends()
    {
        var pause = new FailurePause(_time);
        Assert.True(pause.AllowsRequest(_time.GetTimestamp(), holdsValidToken: true));

        pause.Record(Transient());

        Assert.False(pause.AllowsRequest(_time.GetTimestamp(), holdsValidToken: true));
        Assert.False(pause.AllowsRequest(_time.GetTimestamp(), holdsValidToken: false));
    }

    private static OfflineBearerException Transient() => new("down", null, null, HttpStatusCode.ServiceUnavailable);
}
