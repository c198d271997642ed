using Microsoft.Extensions.Time.Testing;
using OfflineBearer.Caching;
using OfflineBearer.Refresh;

namespace OfflineBearer.Tests.Caching;

public sealed class TokenSnapshotTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Its_text_never_shows_the_token()
    {
        var snapshot = new TokenSnapshot("secret-access-token", 1, 2, 3);

        Assert.Equal("TokenSnapshot (token redacted)", snapshot.ToString());
    }

    [Theory]
    [InlineData(600, 60, 540)]
    [InlineData(120, 60, 60)]
    [InlineData(60, 60, 30)]
    [InlineData(60, 10, 50)]
    public void The_refresh_window_is_clamped_to_half_the_lifetime(int lifetimeSeconds, int windowSeconds, int mustRefreshAfterSeconds)
    {
        var sentAt = _time.GetTimestamp();

        var snapshot = TokenSnapshot.Create("t", TimeSpan.FromSeconds(lifetimeSeconds), sentAt, TimeSpan.FromSeconds(windowSeconds), 0.75, _time);

        Assert.Equal(sentAt + _time.ToTimestamp(TimeSpan.FromSeconds(mustRefreshAfterSeconds)), snapshot.MustRefreshAt);
        Assert.Equal(sentAt + _time.ToTimestamp(TimeSpan.FromSeconds(lifetimeSeconds)), snapshot.ExpiresAt);
    }

    [Fact]
    public void A_background_refresh_starts_at_the_given_fraction_unless_the_window_comes_first()
    {
        var sentAt = _time.GetTimestamp();

        var early = TokenSnapshot.Create("t", TimeSpan.FromSeconds(1000), sentAt, TimeSpan.FromSeconds(60), 0.75, _time);
        var clamped = TokenSnapshot.Create("t", TimeSpan.FromSeconds(100), sentAt, TimeSpan.FromSeconds(60), 0.75, _time);

        Assert.Equal(sentAt + _time.ToTimestamp(TimeSpan.FromSeconds(750)), early.RefreshAt);
        Assert.Equal(clamped.MustRefreshAt, clamped.RefreshAt);
    }

    [Fact]
    public void An_unknown_lifetime_is_never_refreshed_ahead_and_never_expires()
    {
        var snapshot = TokenSnapshot.Create("t", null, _time.GetTimestamp(), TimeSpan.FromSeconds(60), 0.75, _time);

        Assert.Equal(long.MaxValue, snapshot.RefreshAt);
        Assert.Equal(long.MaxValue, snapshot.MustRefreshAt);
        Assert.False(snapshot.IsExpired(long.MaxValue - 1));
    }

    [Theory]
    [InlineData(60, 10, 10)]
    [InlineData(20, 10, 10)]
    [InlineData(8, 10, 4)]
    [InlineData(1, 10, 0.5)]
    public void A_caller_waits_half_the_remaining_life_and_never_more_than_the_longest(double remainingSeconds, double longestSeconds, double expectedSeconds)
    {
        var snapshot = TokenSnapshot.Create("t", TimeSpan.FromSeconds(remainingSeconds), _time.GetTimestamp(), TimeSpan.Zero, 0.75, _time);

        var patience = snapshot.PatienceAt(_time.GetTimestamp(), TimeSpan.FromSeconds(longestSeconds), _time);

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), patience);
    }
}
