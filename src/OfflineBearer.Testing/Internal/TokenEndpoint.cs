using System.Collections.Immutable;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// The token endpoint's own logic, reached through OpenIddict's passthrough once OpenIddict has authenticated the
/// client and validated the grant (including the refresh token). It only decides who the token is for.
/// </summary>
internal static class TokenEndpoint
{
    /// <param name="endpoints">The application.</param>
    /// <param name="mutualTls">Whether the mutual TLS alias of the token endpoint is served too.</param>
    public static void MapTokenEndpoint(this IEndpointRouteBuilder endpoints, bool mutualTls)
    {
        endpoints.MapPost("/connect/token", (Delegate)HandleAsync);
        if (mutualTls)
        {
            endpoints.MapPost("/" + MutualTls.TokenAliasPath, (Delegate)HandleAsync);
        }
    }

    private static async Task<IResult> HandleAsync(HttpContext http)
    {
        var request = http.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict server request is missing; is passthrough enabled?");

        if (request.IsClientCredentialsGrantType())
        {
            // A client acting for itself: it is its own subject.
            return SignIn(request.ClientId!, request.GetScopes());
        }

        if (request.IsPasswordGrantType())
        {
            return request.Username == TestTokenServer.UserName && request.Password == TestTokenServer.Password
                ? SignIn(TestTokenServer.UserName, request.GetScopes())
                : Reject(Errors.InvalidGrant, "The user name or password is wrong.");
        }

        if (request.IsRefreshTokenGrantType() || request.IsAuthorizationCodeGrantType() || request.IsDeviceCodeGrantType())
        {
            // OpenIddict has already checked the refresh token (signature, status, reuse), the code and its PKCE
            // verifier, or the device code and its approval; re-issue the principal the token carries.
            var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme).ConfigureAwait(false);
            return result.Principal is { } principal
                ? Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme)
                : Reject(Errors.InvalidGrant, "The grant is no longer valid.");
        }

        // OpenIddict rejects grant types that were not allowed before the request gets here.
        return Reject(Errors.UnsupportedGrantType, "This grant type is not supported.");
    }

    private static IResult SignIn(string subject, ImmutableArray<string> scopes) =>
        Results.SignIn(UserPrincipal.Create(subject, scopes), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);

    private static IResult Reject(string error, string description) =>
        Results.Forbid(
            new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
            }),
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
