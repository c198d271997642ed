using System.Net;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace OfflineBearer.Internal;

/// <summary>
/// The token endpoint's own resilience, built once per client: a total time limit around retries (exponential backoff
/// with jitter, <c>Retry-After</c> honoured) around a per-attempt timeout. Only outcomes that another try can change
/// are retried; an OAuth error is an answer, not a fault.
/// </summary>
internal static class TokenEndpointResilience
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);

    public static ResiliencePipeline<TokenEndpointAnswer> Create(OfflineBearerOptions options, TimeProvider time)
    {
        var builder = new ResiliencePipelineBuilder<TokenEndpointAnswer> { TimeProvider = time }
            .AddTimeout(options.TokenRequestTimeout);

        if (options.TokenRequestRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<TokenEndpointAnswer>
            {
                ShouldHandle = args => new ValueTask<bool>(IsTransient(args.Outcome)),
                MaxRetryAttempts = options.TokenRequestRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = FirstRetryDelay,
                MaxDelay = options.TokenRequestTimeout,
                DelayGenerator = args => new ValueTask<TimeSpan?>(args.Outcome.Result?.RetryAfter),
            });
        }

        return builder.AddTimeout(options.TokenRequestAttemptTimeout).Build();
    }

    internal static bool IsTransient(Outcome<TokenEndpointAnswer> outcome) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Result.Status: HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError
            or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout } => true,
        _ => false,
    };
}
