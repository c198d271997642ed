using System.Net;
using Microsoft.AspNetCore.Mvc;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// Revocation over HTTP for manual trials with curl (the in-process API is <see cref="TestTokenServer"/>'s methods).
/// Loopback callers only, in case the server is bound to a wider address.
/// </summary>
internal static class AdminEndpoints
{
    public static void MapAdmin(this IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup("/admin").AddEndpointFilter(static async (context, next) =>
            IPAddress.IsLoopback(context.HttpContext.Connection.RemoteIpAddress ?? IPAddress.None)
                ? await next(context).ConfigureAwait(false)
                : Results.StatusCode(StatusCodes.Status403Forbidden));

        admin.MapPost("/revoke-access-tokens", static async (TokenRevoker revoker, CancellationToken cancellationToken) =>
            Results.Ok(new { revoked = await revoker.RevokeAccessTokensAsync(cancellationToken).ConfigureAwait(false) }));

        admin.MapPost("/revoke-refresh-tokens", static async (
            [FromQuery(Name = "client_id")] string clientId, DevClients clients, TokenRevoker revoker, CancellationToken cancellationToken) =>
            clients.Find(clientId) is null
                ? Results.NotFound()
                : Results.Ok(new { revoked = await revoker.RevokeRefreshTokensAsync(clientId, cancellationToken).ConfigureAwait(false) }));
    }
}
