using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OfflineBearer.Caching;
using OfflineBearer.Diagnostics;

namespace OfflineBearer.Health;

/// <summary>
/// The health of one client, from what its holder already knows: the token in hand and how the last token requests
/// went. No I/O of its own unless asked to get a token when there is none.
/// </summary>
internal sealed class OfflineBearerHealthCheck(TokenHolderRegistry registry, string clientName, bool requestToken, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        TokenHolder holder;
        try
        {
            holder = registry.Get(clientName);
        }
        catch (OptionsValidationException e)
        {
            return HealthCheckResult.Unhealthy($"OfflineBearer client '{clientName}' is misconfigured: {string.Join(" ", e.Failures)}");
        }

        if (requestToken && holder.Current is null)
        {
            try
            {
                await holder.GetTokenAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OfflineBearerException)
            {
                // Recorded in the holder's health, which the verdict reads.
            }
        }

        return Evaluate(clientName, holder.Current, holder.Health, holder.IsPublicClient, time);
    }

    internal static HealthCheckResult Evaluate(string clientName, TokenSnapshot? current, TokenHealth health, bool isPublicClient, TimeProvider time)
    {
        var now = time.GetTimestamp();
        var left = current is { ExpiresAt: not long.MaxValue } token ? TimeSpan.FromSeconds((token.ExpiresAt - now) / (double)time.TimestampFrequency) : (TimeSpan?)null;
        var valid = current is not null && !current.IsExpired(now);
        var failure = health.CurrentFailure;
        var data = new Dictionary<string, object>(StringComparer.Ordinal) { ["client"] = clientName };
        if (left is { } remaining)
        {
            data["expires_in_seconds"] = Math.Round(remaining.TotalSeconds);
        }

        if (health.LastSuccessAt is { } success)
        {
            data["seconds_since_last_token"] = Math.Round(time.GetElapsedTime(success).TotalSeconds);
        }

        if (failure is not null)
        {
            data["last_error"] = TokenOutcome.Of(failure);
        }

        if (DeadCredential(failure, isPublicClient) is { } deadCredential)
        {
            return HealthCheckResult.Unhealthy(deadCredential, failure, data);
        }

        return (valid, failure) switch
        {
            (true, null) => HealthCheckResult.Healthy(Describe(clientName, left, "holds a valid token"), data),
            (true, _) => HealthCheckResult.Degraded(
                $"OfflineBearer client '{clientName}': refreshing fails ({TokenOutcome.Of(failure)}); the token in hand is still valid for {Seconds(left)}. {failure.Message}",
                failure,
                data),
            (false, not null) => HealthCheckResult.Unhealthy(
                $"OfflineBearer client '{clientName}' has no valid token: the last token request failed ({TokenOutcome.Of(failure)}). {failure.Message}", failure, data),

            // Nothing went wrong: no token asked for yet, or one that expired while the client was idle; the next request gets one.
            (false, null) => HealthCheckResult.Healthy(
                current is null ? $"OfflineBearer client '{clientName}' has not needed a token yet." : $"OfflineBearer client '{clientName}' gets a new token with its next request.",
                data),
        };
    }

    /// <summary>A refusal that no retry will change: a person must act, so the client is unhealthy at once, whatever token it still holds.</summary>
    private static string? DeadCredential(OfflineBearerException? failure, bool isPublicClient) => failure?.Error switch
    {
        "invalid_client" or "unauthorized_client" =>
            "The token server refused this client's credentials (" + failure.Error + "): the secret was rotated, or the client was removed " +
            "or changed. Update ClientSecret (and check ClientId and ClientAuthentication), then restart.",
        "invalid_grant" when isPublicClient =>
            "The token server refused the offline token (invalid_grant): it was revoked, unused too long, or rotated away. Get a new one " +
            "(offline-token login --store DIR --client NAME) and restart.",
        _ => null,
    };

    private static string Describe(string clientName, TimeSpan? left, string what) =>
        $"OfflineBearer client '{clientName}' {what}" + (left is null ? "." : $", valid for {Seconds(left)}.");

    private static string Seconds(TimeSpan? span) => span is { } value ? $"{value.TotalSeconds:0} s" : "as long as the API accepts it";
}
