using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// Takes <c>audience</c> where Auth0 and Keycloak-style servers take it, on the client credentials, jwt-bearer and token
/// exchange grants, and refuses it with <c>invalid_request</c> on the others, a refresh among them. In place of OpenIddict's
/// <c>ValidateAudienceParameter</c>, which allows it for token exchange and custom grants only.
/// </summary>
internal sealed class AudienceParameterCheck : IOpenIddictServerHandler<ValidateTokenRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
            .UseSingletonHandler<AudienceParameterCheck>()
            .SetOrder(OpenIddictServerHandlers.Exchange.ValidateAudienceParameter.Descriptor.Order)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ValidateTokenRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        if (context.Request.GetAudiences().IsEmpty
            || context.Request.IsClientCredentialsGrantType()
            || context.Request.IsTokenExchangeGrantType()
            || context.Request.GrantType == JwtBearerGrantCheck.GrantType)
        {
            return ValueTask.CompletedTask;
        }

        context.Reject(
            error: Errors.InvalidRequest,
            description: $"The 'audience' parameter is not taken with the '{context.Request.GrantType}' grant, only with client_credentials, jwt-bearer and token exchange.");
        return ValueTask.CompletedTask;
    }
}
