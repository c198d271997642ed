using OfflineBearer.Cli;

return await OfflineTokenApp.RunAsync(args, CliEnvironment.System).ConfigureAwait(false);
