using System.CommandLine;
using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Cli.Commands;

/// <summary><c>get</c>: client_credentials for a service account, with <c>offline_access</c> an offline token for the store.</summary>
internal static class GetCommand
{
    public static Command Create(CliEnvironment environment, Option<bool> json)
    {
        var server = new ServerOptions(defaultScope: null);
        var store = new StoreOptions();
        var printRefreshToken = new Option<bool>("--print-refresh-token") { Description = "Print the refresh token on standard output." };
        var command = new Command("get", "Get tokens with client_credentials (a service account); with --scope offline_access, an offline token.");
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
                    if (ClientAuthenticationNames.UsesSecret(options.ClientAuthentication) && string.IsNullOrEmpty(options.ClientSecret))
                    {
                        throw new CliException(
                            ExitCodes.UsageError,
                            $"get runs client_credentials, which needs the client secret: set {CliEnvironment.ClientSecretVariable} or use --client-secret-stdin " +
                            "(or prove the client with --signing-key or --client-certificate).");
                    }

                    var session = await ClientSession.OpenAsync(options, store.Read(parsed, required: false), environment).ConfigureAwait(false);
                    await using (session.ConfigureAwait(false))
                    {
                        var sentAt = environment.Time.GetUtcNow();
                        var response = await session.Endpoint.RequestAsync(TokenGrant.ClientCredentials(options.Scope), cancellationToken).ConfigureAwait(false);
                        var kept = await session.KeepAsync(response, sentAt, cancellationToken).ConfigureAwait(false);
                        GrantReport.Write(output, session, response, GrantTypes.ClientCredentials, sentAt, kept, parsed.GetValue(printRefreshToken));
                    }
                },
                cancellationToken);
        });
        return command;
    }
}
