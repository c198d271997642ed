using System.Security.Claims;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// Client authentication with a workload token (Keycloak's "Signed JWT - Federated"): a <c>client_assertion</c> whose
/// unverified <c>iss</c> is <see cref="TestWorkloadIssuer"/> is checked here instead of by OpenIddict, whose own client
/// assertion handlers would refuse any real platform token: they want <c>typ: client-authentication+jwt</c>, look the
/// signing key up by taking <c>iss</c> as a client id, and want <c>iss == sub == client_id</c>.
/// <para>
/// Runs in the authentication of every endpoint that takes client assertions, after OpenIddict has resolved the assertion
/// and before its <c>ValidateClientAssertion</c>. On success it sets the request's <c>client_id</c> to the client the token's
/// subject maps to, hands OpenIddict a principal that its later checks accept (<c>iss = sub =</c> that client, <c>aud</c> the
/// issuer, the token's <c>exp</c>), and clears the assertion so <c>ValidateClientAssertion</c> passes over it;
/// <c>ValidateClientType</c> then accepts the confidential client for that principal. On failure: <c>invalid_client</c>,
/// saying which check failed. Assertions of any other issuer are left to OpenIddict (<c>private_key_jwt</c>).
/// </para>
/// </summary>
internal sealed class WorkloadClientAssertionCheck(WorkloadIdentity workload) : IOpenIddictServerHandler<ProcessAuthenticationContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
            .UseSingletonHandler<WorkloadClientAssertionCheck>()
            .SetOrder(OpenIddictServerHandlers.ValidateClientAssertion.Descriptor.Order - 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        if (context.ClientAssertionType != ClientAssertionTypes.JwtBearer || !workload.ClaimsToBeFromIssuer(context.ClientAssertion))
        {
            return;
        }

        var issuer = context.Options.Issuer ?? context.BaseUri
            ?? throw new InvalidOperationException("The server's issuer is unknown.");
        var check = await workload.CheckAsync(context.ClientAssertion!, issuer).ConfigureAwait(false);
        if (check.Subject is not { } subject)
        {
            context.Reject(error: Errors.InvalidClient, description: $"The client assertion {check.Failure}.");
            return;
        }

        if (workload.ClientOf(subject) is not { } clientId)
        {
            context.Reject(error: Errors.InvalidClient, description: $"The client assertion has the subject '{subject}', the federated identity of no client (TestTokenServerOptions.WorkloadSubjects).");
            return;
        }

        if (!string.IsNullOrEmpty(context.ClientId) && !string.Equals(context.ClientId, clientId, StringComparison.Ordinal))
        {
            context.Reject(
                error: Errors.InvalidClient,
                description: $"The client_id '{context.ClientId}' is not the client '{clientId}' whose federated identity the client assertion's subject is; send that client_id or none.");
            return;
        }

        context.Request.ClientId = clientId;
        context.ClientAssertionPrincipal = StandIn(clientId, issuer, check.Expires);
        context.ClientAssertion = null;
    }

    // What OpenIddict's ValidateClientAssertionWellknownClaims and ValidateClientAssertionIssuer check, true for the client.
    private static ClaimsPrincipal StandIn(string clientId, Uri issuer, DateTimeOffset expires)
    {
        var identity = new ClaimsIdentity(authenticationType: WorkloadIdentity.AuthenticationMethod);
        identity.SetClaim(Claims.Issuer, clientId).SetClaim(Claims.Subject, clientId);
        var principal = new ClaimsPrincipal(identity);
        principal.SetAudiences(issuer.AbsoluteUri).SetExpirationDate(expires);
        return principal;
    }
}
