using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// The token endpoint's own logic, reached through OpenIddict's passthrough once OpenIddict has authenticated the
/// client and validated the grant (including the refresh token, the subject token of an exchange, or the assertion of a
/// jwt-bearer grant). It only decides whom the token is for and what for.
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
            return SignIn(UserPrincipal.Create(request.ClientId!, request.GetScopes(), TargetsOf(request)));
        }

        if (request.GrantType == JwtBearerGrantCheck.GrantType)
        {
            // JwtBearerGrantCheck has accepted the assertion; its subject is the token's.
            var subject = JwtBearerGrantCheck.SubjectOf(http)
                ?? throw new InvalidOperationException("A jwt-bearer request reached the endpoint without a checked assertion.");
            return SignIn(UserPrincipal.Create(subject, request.GetScopes(), TargetsOf(request)));
        }

        if (request.IsTokenExchangeGrantType())
        {
            return await ExchangeAsync(http, request).ConfigureAwait(false);
        }

        if (request.IsPasswordGrantType())
        {
            return request.Username == TestTokenServer.UserName && request.Password == TestTokenServer.Password
                ? SignIn(UserPrincipal.Create(TestTokenServer.UserName, request.GetScopes(), request.GetResources()))
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

    /// <summary>
    /// RFC 8693: OpenIddict has validated the subject token (signature, issuer, lifetime, its entry in the store, so a
    /// revoked one fails) and any actor token, and checked that this client may use the subject token. The new token is
    /// for the subject's <c>sub</c>, with the scopes asked for or else the subject token's, the resources and audiences
    /// asked for as its <c>aud</c>, and the actor token's <c>sub</c> as <c>act</c>. Narrower scopes are not enforced.
    /// </summary>
    private static async Task<IResult> ExchangeAsync(HttpContext http, OpenIddictRequest request)
    {
        var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme).ConfigureAwait(false);
        if (result.Principal?.GetClaim(Claims.Subject) is not { } subject)
        {
            return Reject(Errors.InvalidGrant, "The subject token is no longer valid.");
        }

        var actor = result.Properties?.GetParameter<ClaimsPrincipal>(OpenIddictServerAspNetCoreConstants.Properties.ActorTokenPrincipal);
        var scopes = request.GetScopes().IsEmpty ? result.Principal.GetScopes() : request.GetScopes();

        // A new principal rather than the subject token's: that one carries the first client's presenter and audiences.
        return SignIn(UserPrincipal.Create(subject, scopes, TargetsOf(request), actor?.GetClaim(Claims.Subject)));
    }

    /// <summary>What the token is for: the resources (RFC 8707) and audiences the request named, OpenIddict having checked them.</summary>
    private static IEnumerable<string> TargetsOf(OpenIddictRequest request) => [.. request.GetResources(), .. request.GetAudiences()];

    private static IResult SignIn(ClaimsPrincipal principal) =>
        Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);

    private static IResult Reject(string error, string description) =>
        Results.Forbid(
            new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
            }),
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
