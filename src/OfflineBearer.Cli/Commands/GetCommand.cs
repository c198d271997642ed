using System.CommandLine;
using OfflineBearer.Refresh;

namespace OfflineBearer.Cli.Commands;

/// <summary>
/// <c>get</c>: a token by the client's own grant, as a service without a refresh token gets one: client_credentials for a
/// service account (with <c>offline_access</c>, an offline token for the store), the platform's JWT (jwt-bearer) or a
/// token exchange. The library's <see cref="Redeemer"/> runs it, so the grant is the one a service would run.
/// </summary>
internal static class GetCommand
{
    public static Command Create(CliEnvironment environment, Option<bool> json)
    {
        var server = new ServerOptions(TokenRequestFlags.Resource | TokenRequestFlags.Audience | TokenRequestFlags.Grant, defaultScope: null);
        var store = new StoreOptions();
        var printRefreshToken = new Option<bool>("--print-refresh-token") { Description = "Print the refresh token on standard output." };
        var command = new Command(
            "get",
            "Get tokens by the client's own grant: client_credentials (a service account; with --scope offline_access, an offline token), " +
            "or with --grant the platform's JWT (jwt-bearer) or a token exchange.");
        server.AddTo(command);
        store.AddTo(command);
        command.Options.Add(printRefreshToken);

        command.SetAction((parsed, cancellationToken) =>
        {
            var output = new CommandOutput(environment, parsed.GetValue(json));
            return output.RunAsync(
                async () =>
                {
                    var options = server.Read(parsed, environment);
                    if (options.Grant == OfflineBearerGrant.ClientCredentials
                        && ClientAuthenticationNames.UsesSecret(options.ClientAuthentication) && string.IsNullOrEmpty(options.ClientSecret))
                    {
                        throw new CliException(
                            ExitCodes.UsageError,
                            $"get runs client_credentials, which needs the client secret: set {CliEnvironment.ClientSecretVariable} or use --client-secret-stdin " +
                            "(or prove the client with --signing-key, --client-certificate or --client-assertion-file).");
                    }

                    var session = await ClientSession.OpenAsync(options, store.Read(parsed, required: false), environment).ConfigureAwait(false);
                    await using (session.ConfigureAwait(false))
                    {
                        var sentAt = environment.Time.GetUtcNow();
                        var redemption = await new Redeemer(session.Endpoint).GrantAsync(cancellationToken).ConfigureAwait(false);
                        var kept = await session.KeepAsync(redemption.Response, sentAt, cancellationToken, redemption.NotAfter).ConfigureAwait(false);
                        GrantReport.Write(output, session, redemption.Response, redemption.Grant, sentAt, kept, parsed.GetValue(printRefreshToken));
                    }
                },
                cancellationToken);
        });
        return command;
    }
}
