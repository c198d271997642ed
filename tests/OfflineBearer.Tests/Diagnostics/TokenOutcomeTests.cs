using System.Net;
using OfflineBearer.Diagnostics;
using Polly.Timeout;

namespace OfflineBearer.Tests.Diagnostics;

/// <summary>The outcome tag's vocabulary: every registered OAuth error as itself, anything else in a fixed word.</summary>
public sealed class TokenOutcomeTests
{
    [Theory]
    [InlineData("invalid_request")]
    [InlineData("invalid_client")]
    [InlineData("invalid_grant")]
    [InlineData("unauthorized_client")]
    [InlineData("unsupported_grant_type")]
    [InlineData("invalid_scope")]
    [InlineData("access_denied")]
    [InlineData("authorization_pending")]
    [InlineData("slow_down")]
    [InlineData("expired_token")]
    [InlineData("temporarily_unavailable")]
    [InlineData("server_error")]
    [InlineData("not_allowed")]
    public void A_registered_OAuth_error_is_its_own_outcome(string error)
    {
        var outcome = TokenOutcome.Of(Refused(error));

        Assert.Equal(error, outcome);
    }

    [Theory]
    [InlineData("invalid_token")]
    [InlineData("INVALID_GRANT")]
    [InlineData("")]
    [InlineData("a server's own words that would grow the number of time series")]
    public void An_error_outside_the_registry_is_other_oauth_error(string error)
    {
        var outcome = TokenOutcome.Of(Refused(error));

        Assert.Equal("other_oauth_error", outcome);
    }

    [Fact]
    public void The_servers_error_code_wins_over_how_the_answer_arrived()
    {
        var failure = new OfflineBearerException("refused", "invalid_grant", null, HttpStatusCode.BadRequest, new HttpRequestException("reset"));

        Assert.Equal("invalid_grant", TokenOutcome.Of(failure));
    }

    public static TheoryData<Exception, string> Failures => new()
    {
        { new OfflineBearerException("attempt timed out", new TimeoutRejectedException()), "timeout" },
        { new OfflineBearerException("cancelled", new OperationCanceledException()), "timeout" },
        { new OfflineBearerException("cancelled", new TaskCanceledException()), "timeout" },
        { new OperationCanceledException(), "timeout" },
        { new OfflineBearerException("unreachable", new HttpRequestException(HttpRequestError.ConnectionError, "refused")), "network" },
        { new OfflineBearerException("cut off", new HttpIOException(HttpRequestError.ResponseEnded)), "network" },
        { new OfflineBearerException("a proxy's page", null, null, HttpStatusCode.BadGateway), "invalid_response" },
        { new OfflineBearerException("could not store it", new IOException("disk full")), "client_error" },
        { new OfflineBearerException("no refresh token"), "client_error" },
        { new InvalidOperationException("not ours"), "client_error" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_failure_without_an_OAuth_error_is_named_by_its_kind(Exception failure, string expected)
    {
        var outcome = TokenOutcome.Of(failure);

        Assert.Equal(expected, outcome);
    }

    private static OfflineBearerException Refused(string error) =>
        new("refused", error, "described by the server", HttpStatusCode.BadRequest);
}
