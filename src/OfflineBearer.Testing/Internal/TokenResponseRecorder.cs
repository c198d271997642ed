using Microsoft.AspNetCore;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// Records every token endpoint response, successful or not, in the ledger. Errors raised by OpenIddict itself never reach the
/// passthrough endpoint, so this is the one place that sees them all.
/// </summary>
internal sealed class TokenResponseRecorder(TokenLedger ledger) : IOpenIddictServerHandler<ApplyTokenResponseContext>
{
    // OpenIddict answers a redeemed refresh token with this error (error_uri .../errors/ID2012) and, with no reuse
    // leeway, has just revoked the grant. The code is stable across languages, unlike the description.
    private const string RedeemedRefreshTokenErrorId = "ID2012";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyTokenResponseContext>()
            .UseSingletonHandler<TokenResponseRecorder>()
            // After OpenIddict turns invalid_token into invalid_grant for the grants that redeem a token: the ledger
            // records the answer the client gets.
            .SetOrder(OpenIddictServerHandlers.Exchange.NormalizeErrorResponse.Descriptor.Order + 1_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ApplyTokenResponseContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var grantType = context.Request?.GrantType ?? string.Empty;
        var failed = !string.IsNullOrEmpty(context.Response.Error);
        var reused = failed
            && grantType == GrantTypes.RefreshToken
            && context.Response.ErrorUri?.EndsWith(RedeemedRefreshTokenErrorId, StringComparison.Ordinal) == true;

        var http = context.Transaction.GetHttpRequest();
        ledger.RecordTokenResponse(new AnsweredTokenRequest(
            ClientId: context.Request?.ClientId,
            GrantType: grantType,
            Error: failed ? context.Response.Error : null,
            ReusedRefreshToken: reused,
            Mtls: MutualTls.IsAliasRequest(http),
            PresentedRefreshToken: grantType == GrantTypes.RefreshToken && context.Request?.RefreshToken is { Length: > 0 } presented ? presented : null,
            IssuedRefreshToken: failed ? null : context.Response.RefreshToken,
            ReceivedAt: ledger.ReceivedAt(http?.HttpContext),
            Parameters: await FormOf(http).ConfigureAwait(false)));
    }

    // The form as the client sent it: OpenIddict's request has been changed by then (a Basic header's client_id copied
    // in, a workload token's client set), and a test asks what the client itself sent.
    private static async Task<IReadOnlyDictionary<string, string[]>> FormOf(HttpRequest? request)
    {
        if (request is null || !request.HasFormContentType)
        {
            return new Dictionary<string, string[]>();
        }

        // OpenIddict has read the form already; this returns that reading.
        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
        return form.ToDictionary(field => field.Key, field => field.Value.OfType<string>().ToArray(), StringComparer.Ordinal);
    }
}
