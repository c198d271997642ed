using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// Binds the tokens of a token request that came with a valid DPoP proof (RFC 9449 sections 5 and 6): the access token
/// gets <c>"cnf": {"jkt": "…"}</c>, as does the access token a token exchange issues; a public client's refresh token gets the thumbprint under a private claim, since a
/// public client has no other proof of possession (section 5). Confidential clients' refresh tokens stay unbound: they
/// authenticate.
/// </summary>
internal sealed class DPoPTokenBinding : IOpenIddictServerHandler<ProcessSignInContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
            .UseSingletonHandler<DPoPTokenBinding>()
            .SetOrder(OpenIddictServerHandlers.PrepareRefreshTokenPrincipal.Descriptor.Order + 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ProcessSignInContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        if (ThumbprintOf(context.Transaction) is not { } thumbprint)
        {
            return ValueTask.CompletedTask;
        }

        if (context.AccessTokenPrincipal is { } access)
        {
            access.SetClaim(DPoP.ConfirmationClaim, DPoP.Confirmation(thumbprint, access.GetClaim(DPoP.ConfirmationClaim)));
        }

        // A token exchange issues its access token as the "issued token" (RFC 8693), prepared before this runs.
        if (IsIssuedAccessToken(context) && context.IssuedTokenPrincipal is { } issued)
        {
            issued.SetClaim(DPoP.ConfirmationClaim, DPoP.Confirmation(thumbprint, issued.GetClaim(DPoP.ConfirmationClaim)));
        }

        if (context.RefreshTokenPrincipal is { } refresh && DevClient.Find(context.Request?.ClientId) is { IsConfidential: false })
        {
            refresh.SetClaim(DPoP.RefreshTokenThumbprintClaim, thumbprint);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Whether the sign-in issues an access token the RFC 8693 way, as a token exchange does.</summary>
    public static bool IsIssuedAccessToken(ProcessSignInContext context) =>
        context.GenerateIssuedToken && context.IssuedTokenType == TokenTypeIdentifiers.AccessToken;

    /// <summary>The thumbprint <see cref="DPoPTokenRequestCheck"/> left for this request, if it accepted a proof.</summary>
    public static string? ThumbprintOf(OpenIddictServerTransaction transaction) =>
        transaction.Properties.TryGetValue(DPoP.TransactionThumbprint, out var value) ? value as string : null;
}
