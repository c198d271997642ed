using Microsoft.AspNetCore;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// DPoP at the token endpoint (RFC 9449 section 5): checks the request's proof, if any, and leaves its key thumbprint in
/// the transaction for <see cref="DPoPTokenBinding"/>. A refresh token bound to a key is redeemed only with a proof of
/// that key. Runs after OpenIddict has authenticated the request, so the refresh token's principal is at hand.
/// </summary>
internal sealed class DPoPTokenRequestCheck(DPoPProofValidator validator, TokenLedger stats, DPoPPolicy policy)
    : IOpenIddictServerHandler<ValidateTokenRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
            .UseSingletonHandler<DPoPTokenRequestCheck>()
            .SetOrder(OpenIddictServerHandlers.Exchange.ValidateAuthentication.Descriptor.Order + 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ValidateTokenRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var request = context.Transaction.GetHttpRequest()
            ?? throw new InvalidOperationException("The token request is not an ASP.NET Core request.");
        if (validator.Nonce.Required)
        {
            // Every answer carries the nonce, so a client that sends none learns it before it is refused for it.
            request.HttpContext.Response.Headers[DPoP.NonceHeader] = validator.Nonce.Current;
        }

        var proof = DPoPProofValidator.ReadProof(request, out var malformed);
        var bound = context.Request.IsRefreshTokenGrantType() ? context.RefreshTokenPrincipal?.GetClaim(DPoP.RefreshTokenThumbprintClaim) : null;
        if (malformed is not null)
        {
            Refuse(context, DPoP.InvalidProof, malformed.Description!);
            return;
        }

        if (proof is null)
        {
            if (bound is not null)
            {
                Refuse(context, DPoP.InvalidProof, "The refresh token is bound to a DPoP key: send a DPoP proof signed with it.");
            }
            else if (policy.RequireProof)
            {
                Refuse(context, DPoP.InvalidProof, "This server requires a DPoP proof with every token request.");
            }

            return;
        }

        var result = await validator.ValidateAsync(proof, request.Method, DPoPProofValidator.TargetOf(request), accessToken: null).ConfigureAwait(false);
        if (result.NeedsNonce)
        {
            stats.RecordTokenDPoP(DPoPOutcome.NonceChallenge);
            request.HttpContext.Response.Headers[DPoP.NonceHeader] = validator.Nonce.Current;
            context.Reject(error: DPoP.UseNonce, description: result.Description);
            return;
        }

        if (!result.Succeeded)
        {
            Refuse(context, DPoP.InvalidProof, result.Description!);
            return;
        }

        if (bound is not null && !string.Equals(bound, result.Thumbprint, StringComparison.Ordinal))
        {
            Refuse(context, Errors.InvalidGrant, "The refresh token is bound to another DPoP key than the proof's.");
            return;
        }

        stats.RecordTokenDPoP(DPoPOutcome.Accepted);
        context.Transaction.Properties[DPoP.TransactionThumbprint] = result.Thumbprint;
    }

    private void Refuse(ValidateTokenRequestContext context, string error, string description)
    {
        stats.RecordTokenDPoP(DPoPOutcome.Refused);
        context.Reject(error: error, description: description);
    }
}
