using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace OfflineBearer.Cli.Commands;

/// <summary>
/// <c>token</c>: a valid access token for a script, from the store, refreshed and rotated through it by the library's
/// own holder. Within a token's life the server is not asked again.
/// </summary>
internal static class TokenCommand
{
    public static Command Create(CliEnvironment environment, Option<bool> json) => StoredClientCommand.Create(
        environment,
        json,
        "token",
        "Print a valid access token for a script: curl -H \"Authorization: Bearer $(offline-token token …)\".",
        TokenRequestFlags.Resource | TokenRequestFlags.Audience,
        PrintAsync);

    private static async Task PrintAsync(StoreArguments where, ClientSession session, CommandOutput output, CancellationToken cancellationToken)
    {
        var (token, useUntil) = await GetAsync(session, where, cancellationToken).ConfigureAwait(false);
        if (output.IsJson)
        {
            output.Json(new JsonObject
            {
                ["client"] = session.ClientName,
                ["token_type"] = "Bearer",
                ["access_token"] = token,
                ["use_until"] = useUntil?.ToString("O", CultureInfo.InvariantCulture),
            });
        }
        else
        {
            output.Data(token);
        }
    }

    private static async Task<(string Token, DateTimeOffset? UseUntil)> GetAsync(ClientSession session, StoreArguments where, CancellationToken cancellationToken)
    {
        if (session.Files is not { } files)
        {
            // Redis keeps the fleet's access token itself: the holder adopts it without a token request while it is fresh.
            var adopted = await session.Holder.GetTokenAsync(cancellationToken).ConfigureAwait(false);
            return (adopted.Header.Parameter!, session.UseUntil(adopted));
        }

        var cache = files.PathBeside(session.ClientName, AccessTokenCache.Extension);
        if (await AccessTokenCache.ReadAsync(cache, session.Time, cancellationToken).ConfigureAwait(false) is { } fresh)
        {
            return fresh;
        }

        if (!Directory.Exists(where.Directory))
        {
            throw new CliException(ExitCodes.UsageError, $"The store directory {where.Directory} does not exist: put an offline token there with login or get first.");
        }

        using (await StoreLock.AcquireAsync(files.PathBeside(session.ClientName, ".lock"), session.ClientName, session.Time, cancellationToken).ConfigureAwait(false))
        {
            // Another offline-token may have refreshed while this one waited for the lock.
            if (await AccessTokenCache.ReadAsync(cache, session.Time, cancellationToken).ConfigureAwait(false) is { } refreshed)
            {
                return refreshed;
            }

            var snapshot = await session.Holder.GetTokenAsync(cancellationToken).ConfigureAwait(false);
            var useUntil = session.UseUntil(snapshot);
            await AccessTokenCache.WriteAsync(cache, snapshot.Header.Parameter!, useUntil, cancellationToken).ConfigureAwait(false);
            return (snapshot.Header.Parameter!, useUntil);
        }
    }
}
