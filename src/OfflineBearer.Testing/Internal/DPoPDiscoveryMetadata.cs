using System.Collections.Immutable;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace OfflineBearer.Testing.Internal;

/// <summary>Announces DPoP in the discovery document: <c>dpop_signing_alg_values_supported</c> (RFC 9449 section 5.1).</summary>
internal sealed class DPoPDiscoveryMetadata : IOpenIddictServerHandler<HandleConfigurationRequestContext>
{
    public const string AlgorithmsSupported = "dpop_signing_alg_values_supported";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<HandleConfigurationRequestContext>()
            .UseSingletonHandler<DPoPDiscoveryMetadata>()
            .SetOrder(int.MaxValue - 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(HandleConfigurationRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        ImmutableArray<string?> algorithms = [.. DPoP.Algorithms];
        context.Metadata[AlgorithmsSupported] = new OpenIddictParameter(algorithms);
        return ValueTask.CompletedTask;
    }
}
