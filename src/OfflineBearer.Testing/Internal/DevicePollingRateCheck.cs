using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// Answers <c>slow_down</c> (RFC 8628 3.5) to a device code poll that comes sooner than the polling interval after the
/// previous poll of the same code, before OpenIddict looks the code up.
/// </summary>
internal sealed class DevicePollingRateCheck(DevicePolls polls) : IOpenIddictServerHandler<ValidateTokenRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
            .UseSingletonHandler<DevicePollingRateCheck>()
            .SetOrder(int.MinValue + 60_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ValidateTokenRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        if (context.Request.IsDeviceCodeGrantType()
            && context.Request.DeviceCode is { Length: > 0 } deviceCode
            && polls.IsTooSoon(deviceCode))
        {
            context.Reject(
                error: Errors.SlowDown,
                description: $"Poll at most once every {polls.Interval.TotalSeconds:0} seconds.");
        }

        return ValueTask.CompletedTask;
    }
}
