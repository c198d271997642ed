using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// Sees every device authorization response: counts it, starts the polling clock of a new device code, and announces
/// the polling interval, which OpenIddict does not put in the response by itself.
/// </summary>
internal sealed class DeviceAuthorizationResponseRecorder(TokenLedger stats, DevicePolls polls)
    : IOpenIddictServerHandler<ApplyDeviceAuthorizationResponseContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyDeviceAuthorizationResponseContext>()
            .UseSingletonHandler<DeviceAuthorizationResponseRecorder>()
            .SetOrder(int.MinValue + 50_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ApplyDeviceAuthorizationResponseContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var deviceCode = context.Response.DeviceCode;
        stats.RecordDeviceAuthorizationRequest();

        if (!string.IsNullOrEmpty(deviceCode))
        {
            polls.Issued(deviceCode);
            context.Response[Parameters.Interval] ??= (long)polls.Announced.TotalSeconds;
        }

        return ValueTask.CompletedTask;
    }
}
