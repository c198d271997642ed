using System.CommandLine;

namespace OfflineBearer.Cli.Commands;

/// <summary>
/// The shape of a command over a client the store already holds (<c>token</c>, <c>revoke</c>): the server and store
/// flags (the server's settings remembered beside the token), the client's session for the length of the command, and
/// the output that turns failures into exit codes.
/// </summary>
internal static class StoredClientCommand
{
    /// <param name="environment">The tool's console, clock and environment variables.</param>
    /// <param name="json">The <c>--json</c> flag.</param>
    /// <param name="name">The command's name.</param>
    /// <param name="description">Its help text.</param>
    /// <param name="takes">Which flags that shape a token request it takes (<c>token</c> asks for tokens; <c>revoke</c> does not).</param>
    /// <param name="run">What it does with the store's location, the session and the output.</param>
    /// <param name="check">Refuses a store the command cannot work on, before the session opens.</param>
    public static Command Create(
        CliEnvironment environment,
        Option<bool> json,
        string name,
        string description,
        TokenRequestFlags takes,
        Func<StoreArguments, ClientSession, CommandOutput, CancellationToken, Task> run,
        Action<StoreArguments>? check = null)
    {
        var server = new ServerOptions(takes, defaultScope: null, remembered: true);
        var store = new StoreOptions();
        var command = new Command(name, description);
        server.AddTo(command);
        store.AddTo(command);

        command.SetAction((parsed, cancellationToken) =>
        {
            var output = new CommandOutput(environment, parsed.GetValue(json));
            return output.RunAsync(
                async () =>
                {
                    var where = store.Read(parsed, required: true);
                    check?.Invoke(where);
                    var remembered = await where.RememberedAsync(cancellationToken).ConfigureAwait(false);
                    var session = await ClientSession.OpenAsync(server.Read(parsed, environment, remembered), where, environment).ConfigureAwait(false);
                    await using (session.ConfigureAwait(false))
                    {
                        await run(where, session, output, cancellationToken).ConfigureAwait(false);
                    }
                },
                cancellationToken);
        });
        return command;
    }
}
