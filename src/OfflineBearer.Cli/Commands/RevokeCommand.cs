using System.CommandLine;
using System.Text.Json.Nodes;
using OfflineBearer.Tooling;

namespace OfflineBearer.Cli.Commands;

/// <summary><c>revoke</c>: ends the stored offline token at the server (RFC 7009), then removes it from the store.</summary>
internal static class RevokeCommand
{
    public static Command Create(CliEnvironment environment, Option<bool> json) => StoredClientCommand.Create(
        environment,
        json,
        "revoke",
        "Revoke the stored refresh token at the server (RFC 7009) and remove it from the store.",
        TokenRequestFlags.None,
        RevokeAsync,
        where =>
        {
            if (where.Directory is null)
            {
                throw new CliException(ExitCodes.UsageError, "revoke works on a file store (--store DIR --client NAME); a fleet's token in Redis is revoked by the replicas' operator.");
            }
        });

    private static async Task RevokeAsync(StoreArguments where, ClientSession session, CommandOutput output, CancellationToken cancellationToken)
    {
        var files = session.Files!;
        var refreshToken = await session.Store.GetAsync(session.ClientName, cancellationToken).ConfigureAwait(false)
            ?? throw new CliException(ExitCodes.UsageError, $"The store {where.Directory} holds no refresh token for client '{session.ClientName}'.");

        await session.Endpoint.RevokeAsync(refreshToken, "refresh_token", cancellationToken).ConfigureAwait(false);
        files.Delete(session.ClientName);
        AccessTokenCache.Delete(files.PathBeside(session.ClientName, AccessTokenCache.Extension));
        File.Delete(ClientSettings.PathOf(where.Directory!, session.ClientName));

        output.Say($"Revoked the refresh token of client '{session.ClientName}' at the server and removed it from {where.Directory}.");
        if (output.IsJson)
        {
            output.Json(new JsonObject { ["client"] = session.ClientName, ["revoked"] = true });
        }
    }
}
