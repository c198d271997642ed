using System.Security.Claims;
using OpenIddict.Validation;
using static OpenIddict.Validation.OpenIddictValidationEvents;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// OpenIddict 7.8 knows only certificate-bound tokens: its validation's <c>ValidateProofOfPossession</c> throws ID2196
/// for a <c>cnf</c> without <c>x5t#S256</c>, so the API would answer a DPoP-bound token with a 500. For a token whose
/// <c>cnf</c> holds a <c>jkt</c> and no certificate thumbprint this turns that check off, just before it runs, and
/// leaves the proof to the API (<see cref="DPoPResourceCheck"/>); any other token is checked by OpenIddict as before.
/// (The server's own copy of the check never meets a bound token: refresh tokens carry no <c>cnf</c>, and revoking a
/// bound access token does not run it.)
/// </summary>
internal sealed class DPoPConfirmationGate : IOpenIddictValidationHandler<ValidateTokenContext>
{
    public static OpenIddictValidationHandlerDescriptor Descriptor { get; } =
        OpenIddictValidationHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
            .UseSingletonHandler<DPoPConfirmationGate>()
            .SetOrder(OpenIddictValidationHandlers.Protection.ValidateProofOfPossession.Descriptor.Order - 500)
            .SetType(OpenIddictValidationHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ValidateTokenContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        if (IsKeyBoundOnly(context.Principal))
        {
            context.DisableProofOfPossessionValidation = true;
        }

        return ValueTask.CompletedTask;
    }

    private static bool IsKeyBoundOnly(ClaimsPrincipal? principal) =>
        DPoP.ReadConfirmation(principal) is { Thumbprint: not null, Certificate: false };
}
