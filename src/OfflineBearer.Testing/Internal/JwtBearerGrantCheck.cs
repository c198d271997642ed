using Microsoft.AspNetCore;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// The JWT bearer grant (RFC 7523 section 2.1), which OpenIddict 7.8 knows only as a custom grant it does nothing for:
/// once the client is authenticated, the <c>assertion</c> must be a valid token of <see cref="TestWorkloadIssuer"/> (the same
/// checks as a workload client assertion, any subject), else <c>invalid_grant</c>. The token endpoint then signs its
/// subject in (<see cref="SubjectOf"/>).
/// </summary>
internal sealed class JwtBearerGrantCheck(WorkloadIdentity workload) : IOpenIddictServerHandler<ValidateTokenRequestContext>
{
    public const string GrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    private const string SubjectProperty = "offlinebearer.devserver:jwt_bearer_subject";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
            .UseSingletonHandler<JwtBearerGrantCheck>()
            .SetOrder(OpenIddictServerHandlers.Exchange.ValidateAuthentication.Descriptor.Order + 250)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    /// <summary>The subject of the assertion this handler accepted for the request, for the token endpoint.</summary>
    public static string? SubjectOf(HttpContext http) =>
        http.Features.Get<OpenIddictServerAspNetCoreFeature>()?.Transaction?.Properties.TryGetValue(SubjectProperty, out var subject) == true
            ? subject as string
            : null;

    public async ValueTask HandleAsync(ValidateTokenRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        if (context.Request.GrantType != GrantType)
        {
            return;
        }

        if (string.IsNullOrEmpty(context.Request.Assertion))
        {
            context.Reject(error: Errors.InvalidRequest, description: "The mandatory 'assertion' parameter is missing.");
            return;
        }

        var issuer = context.Options.Issuer ?? context.BaseUri
            ?? throw new InvalidOperationException("The server's issuer is unknown.");
        var check = await workload.CheckAsync(context.Request.Assertion, issuer).ConfigureAwait(false);
        if (check.Subject is not { } subject)
        {
            context.Reject(error: Errors.InvalidGrant, description: $"The assertion {check.Failure}.");
            return;
        }

        context.Transaction.Properties[SubjectProperty] = subject;
    }
}
