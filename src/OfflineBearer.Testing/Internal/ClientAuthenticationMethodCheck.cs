using Microsoft.AspNetCore;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// Holds each confidential client to its one authentication method at the token endpoint, as Keycloak does.
/// OpenIddict 7 accepts a client secret from either the Basic header or the form for any client, and a client assertion
/// signed with the key of a registered client certificate. A certificate client may send no secret or assertion at all;
/// whether its certificate is the right one is OpenIddict's call (<c>tls_client_auth</c>, <c>self_signed_tls_client_auth</c>).
/// </summary>
/// <remarks>
/// A client assertion of <see cref="TestWorkloadIssuer"/> is the method <see cref="WorkloadIdentity.AuthenticationMethod"/>,
/// which any client that a workload subject maps to may use (<see cref="WorkloadClientAssertionCheck"/> checks the token).
/// A request with such an assertion and no <c>client_id</c> is not seen here: its client is known only once the token is.
/// </remarks>
internal sealed class ClientAuthenticationMethodCheck(DevClients clients, WorkloadIdentity workload) : IOpenIddictServerHandler<ValidateTokenRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
            .UseSingletonHandler<ClientAuthenticationMethodCheck>()
            .SetOrder(int.MinValue + 50_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ValidateTokenRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Unknown clients and the public client are left to OpenIddict's own checks.
        if (clients.Find(context.ClientId) is not { IsConfidential: true } client)
        {
            return ValueTask.CompletedTask;
        }

        var authorization = context.Transaction.GetHttpRequest()?.Headers.Authorization.ToString() ?? string.Empty;
        var used = authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) ? ClientAuthenticationMethods.ClientSecretBasic
            : !string.IsNullOrEmpty(context.Request.ClientAssertion)
                ? workload.ClaimsToBeFromIssuer(context.Request.ClientAssertion) ? WorkloadIdentity.AuthenticationMethod : ClientAuthenticationMethods.PrivateKeyJwt
            : !string.IsNullOrEmpty(context.Request.ClientSecret) || !client.UsesCertificate ? ClientAuthenticationMethods.ClientSecretPost
            : client.AuthenticationMethod;

        if (used != client.AuthenticationMethod && !(used == WorkloadIdentity.AuthenticationMethod && workload.IsFederated(client.ClientId)))
        {
            context.Reject(
                error: Errors.InvalidClient,
                description: $"The client '{client.ClientId}' must authenticate with {client.AuthenticationMethod}, not {used}.");
        }
        else if (client.UsesCertificate && context.Transaction.RemoteCertificate is null)
        {
            // OpenIddict would answer a client_credentials request without any credential invalid_request; a missing
            // client authentication is invalid_client (RFC 6749 section 5.2), as a refresh without one gets from OpenIddict.
            context.Reject(
                error: Errors.InvalidClient,
                description: $"The client '{client.ClientId}' must authenticate with {client.AuthenticationMethod}: present its TLS client certificate.");
        }

        return ValueTask.CompletedTask;
    }
}
