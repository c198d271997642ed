using Microsoft.AspNetCore.Authentication;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// The protected API. It authenticates by hand rather than with <c>RequireAuthorization</c> so it can count
/// every call, tell an expired token from a revoked one, and hold a DPoP-bound token to its proof (RFC 9449). OpenIddict
/// itself holds a certificate-bound token to the connection's client certificate (RFC 8705); this counts its refusals.
/// </summary>
internal static class ApiEndpoints
{
    private const string Scheme = OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme;

    // OpenIddict validation answers both an expired and a revoked token with this error (after the signature passed).
    private const string NoLongerValidErrorId = "ID2019";

    // OpenIddict validation's answers to a certificate-bound token (cnf.x5t#S256, RFC 8705 section 3) over a connection
    // without a client certificate, and with another one.
    private const string CertificateMissingErrorId = "ID2203";
    private const string CertificateMismatchErrorId = "ID2204";

    /// <summary><c>GET /api/ping</c>, and <c>POST /api/readings</c> for the sensor gateway sample: both answer who called.</summary>
    public static void MapApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/ping", PingAsync);
        endpoints.MapPost("/api/readings", PingAsync);
    }

    private static async Task<IResult> PingAsync(HttpContext http, TokenLedger ledger, TestApi api, TimeProvider time, DPoPResourceCheck dpop)
    {
        // A storm answers in the scheme the request used, as the refusals below do: a DPoP client renews on a DPoP challenge.
        var isDPoP = DPoPAccessTokenExtractor.AccessTokenOf(http.Request) is not null;
        if (api.TryTakeRejection())
        {
            ledger.RecordApiRequest(rejected: true, expired: false);
            const string Storm = "The API refuses every token for now.";
            if (isDPoP)
            {
                return dpop.InvalidToken(Storm);
            }

            http.Response.Headers.WWWAuthenticate = $"Bearer error=\"invalid_token\", error_description=\"{Storm}\"";
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        }

        var result = await http.AuthenticateAsync(Scheme).ConfigureAwait(false);
        if (!result.Succeeded || result.Principal.Identity?.IsAuthenticated != true)
        {
            ledger.RecordApiRequest(rejected: true, expired: HasExpired(result, time));
            if (IsCertificateBindingRefusal(result))
            {
                ledger.RecordApiCertificateBindingRefusal();
            }

            // OpenIddict's challenge writes the 401 and its WWW-Authenticate header from the failed authentication,
            // in the Bearer scheme only: a request in the DPoP scheme gets a DPoP challenge.
            return !isDPoP
                ? Results.Challenge(authenticationSchemes: [Scheme])
                : dpop.InvalidToken(result.Properties?.GetString(".error_description") ?? "The access token is not valid.");
        }

        if (await dpop.CheckAsync(http.Request, result.Principal).ConfigureAwait(false) is { } refused)
        {
            ledger.RecordApiRequest(rejected: true, expired: false);
            return refused;
        }

        if (api.RequiredScope is { } scope && !result.Principal.HasScope(scope))
        {
            ledger.RecordApiRequest(rejected: true, expired: false);
            http.Response.Headers.WWWAuthenticate = $"{(isDPoP ? DPoP.Scheme : "Bearer")} error=\"insufficient_scope\", scope=\"{scope}\"";
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        ledger.RecordApiRequest(rejected: false, expired: false);
        return Results.Ok(new PingResponse(
            Ok: true,
            Client: result.Principal.GetClaim(Claims.ClientId),
            Subject: result.Principal.GetClaim(Claims.Subject)));
    }

    private static bool IsCertificateBindingRefusal(AuthenticateResult result) =>
        result.Properties?.GetString(".error_uri") is { } errorUri
        && (errorUri.EndsWith(CertificateMissingErrorId, StringComparison.Ordinal) || errorUri.EndsWith(CertificateMismatchErrorId, StringComparison.Ordinal));

    private static bool HasExpired(AuthenticateResult result, TimeProvider time)
    {
        var errorUri = result.Properties?.GetString(".error_uri");
        if (errorUri?.EndsWith(NoLongerValidErrorId, StringComparison.Ordinal) != true
            || result.Properties!.GetTokenValue("access_token") is not { } token
            || !new JsonWebTokenHandler().CanReadToken(token))
        {
            return false;
        }

        var expires = new JsonWebToken(token).ValidTo;
        return expires != DateTime.MinValue && expires < time.GetUtcNow().UtcDateTime;
    }
}
