using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// Answers <c>"token_type": "DPoP"</c> for an access token <see cref="DPoPTokenBinding"/> bound (RFC 9449 section 5), the
/// access token of a token exchange included.
/// </summary>
internal sealed class DPoPTokenType : IOpenIddictServerHandler<ProcessSignInContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
            .UseSingletonHandler<DPoPTokenType>()
            .SetOrder(OpenIddictServerHandlers.AttachSignInParameters.Descriptor.Order + 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ProcessSignInContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var bound = (context.IncludeAccessToken && context.AccessTokenPrincipal is not null)
            || (context.IncludeIssuedToken && context.IssuedTokenPrincipal is not null && DPoPTokenBinding.IsIssuedAccessToken(context));
        if (bound && DPoPTokenBinding.ThumbprintOf(context.Transaction) is not null)
        {
            context.Response.TokenType = DPoP.Scheme;
        }

        return ValueTask.CompletedTask;
    }
}
