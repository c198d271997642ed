using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// The server's side of <see cref="DPoPConfirmationGate"/>: a token exchange validates its subject token with the
/// server's own proof-of-possession check, which throws ID2196 for a DPoP-bound access token (a <c>cnf</c> with
/// <c>jkt</c> and no certificate thumbprint), so the exchange of a DPoP-bound token would answer 500. For such a token
/// this turns the check off. RFC 8693 asks no proof of the subject token's key, and neither does this server; a token
/// bound to a TLS certificate is still checked by OpenIddict.
/// </summary>
internal sealed class DPoPSubjectTokenGate : IOpenIddictServerHandler<ValidateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
            .UseSingletonHandler<DPoPSubjectTokenGate>()
            .SetOrder(OpenIddictServerHandlers.Protection.ValidateProofOfPossession.Descriptor.Order - 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ValidateTokenContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        if (DPoP.ReadConfirmation(context.Principal) is { Thumbprint: not null, Certificate: false })
        {
            context.DisableProofOfPossessionValidation = true;
        }

        return ValueTask.CompletedTask;
    }
}
