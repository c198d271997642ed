using System.CommandLine;
using OfflineBearer.Cli.Commands;

namespace OfflineBearer.Cli;

/// <summary>The <c>offline-token</c> command line: one command per file in Commands/, each thin over the library.</summary>
internal static class OfflineTokenApp
{
    public static RootCommand Create(CliEnvironment environment)
    {
        var json = new Option<bool>("--json") { Description = "Machine-readable output on standard output.", Recursive = true };
        var root = new RootCommand(
            "offline-token: gets an OAuth2 offline token into the store an OfflineBearer service reads, and hands scripts valid access tokens. " +
            $"Secrets come from {CliEnvironment.ClientSecretVariable} or --client-secret-stdin, never from an argument; a client " +
            "without a secret proves itself with --signing-key (private_key_jwt), --client-certificate (mutual TLS), whose " +
            $"password comes from {CliEnvironment.ClientCertificatePasswordVariable}, or --client-assertion-file (a JWT its platform " +
            $"issues, such as a Kubernetes service account token). {ExitCodes.Help}")
        {
            LoginCommand.Create(environment, json),
            GetCommand.Create(environment, json),
            TokenCommand.Create(environment, json),
            InspectCommand.Create(environment, json),
            RevokeCommand.Create(environment, json),
        };
        root.Options.Add(json);
        return root;
    }

    public static Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default) =>
        Create(environment).Parse(args).InvokeAsync(new InvocationConfiguration { Output = environment.Out, Error = environment.Error }, cancellationToken);
}
