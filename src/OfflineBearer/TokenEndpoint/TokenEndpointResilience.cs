using System.Net;
using OfflineBearer.Diagnostics;
using OfflineBearer.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace OfflineBearer.TokenEndpoint;

/// <summary>
/// The token server's own resilience, built once per client: retries (exponential backoff with jitter,
/// <c>Retry-After</c> honoured) around a per-attempt timeout. Only outcomes that another try can change are retried; an
/// OAuth error is an answer, not a fault. The time limit of a whole refresh is the holder's, not this pipeline's.
/// </summary>
internal static class TokenEndpointResilience
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// <paramref name="repeatable"/>: whether a request that may have reached the server can be sent again. Discovery
    /// and client_credentials can; a refresh grant cannot, because the server may already have rotated (spent) the
    /// refresh token, and replaying it trips reuse detection (RFC 9700). It is retried only when it surely never
    /// arrived or the server said it did not process it.
    /// </summary>
    public static ResiliencePipeline<TokenEndpointAnswer> Create(ClientContext client, bool repeatable)
    {
        var options = client.Options;
        var builder = new ResiliencePipelineBuilder<TokenEndpointAnswer> { TimeProvider = client.Time };
        if (options.TokenRequestRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<TokenEndpointAnswer>
            {
                ShouldHandle = args => new ValueTask<bool>(repeatable ? IsTransient(args.Outcome) : NeverProcessed(args.Outcome)),
                MaxRetryAttempts = options.TokenRequestRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = FirstRetryDelay,
                MaxDelay = options.TokenRequestTimeout,
                DelayGenerator = args => new ValueTask<TimeSpan?>(
                    args.Outcome.Result?.RetryAfter is { } wait && wait < options.TokenRequestTimeout ? wait : null),
                OnRetry = args =>
                {
                    var reason = Reason(args.Outcome);
                    Log.RetryingTokenRequest(client.Logger, client.Name, args.AttemptNumber + 2, args.RetryDelay.TotalSeconds, reason);
                    client.Telemetry.Retry(reason);
                    return default;
                },
            });
        }

        return builder.AddTimeout(options.TokenRequestAttemptTimeout).Build();
    }

    internal static bool IsTransient(Outcome<TokenEndpointAnswer> outcome) => outcome switch
    {
        { Exception: HttpRequestException or HttpIOException or TimeoutRejectedException } => true,
        { Result.Status: HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError
            or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout } => true,
        _ => false,
    };

    internal static bool NeverProcessed(Outcome<TokenEndpointAnswer> outcome) => outcome switch
    {
        { Exception: HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError } } => true,
        { Result.Status: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable } => true,
        _ => false,
    };

    /// <summary>Whether a failed grant surely never reached the server (or the server said it did not process it).</summary>
    internal static bool NeverProcessed(OfflineBearerException failure) => failure switch
    {
        { StatusCode: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable } => true,
        { InnerException: HttpRequestException e } => NeverProcessed(Outcome.FromException<TokenEndpointAnswer>(e)),
        _ => false,
    };

    /// <summary>What went wrong, in words with no server text in them: a status code, an error kind, or a timeout.</summary>
    internal static string Reason(Outcome<TokenEndpointAnswer> outcome) => outcome switch
    {
        { Exception: HttpRequestException e } => $"network: {e.HttpRequestError}",
        { Exception: HttpIOException e } => $"connection broke: {e.HttpRequestError}",
        { Exception: TimeoutRejectedException } => "attempt timed out",
        { Result: { } answer } => $"HTTP {(int)answer.Status}",
        _ => "failure",
    };
}
