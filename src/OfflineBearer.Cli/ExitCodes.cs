namespace OfflineBearer.Cli;

/// <summary>The exit codes of <c>offline-token</c>, documented in <c>--help</c> and the README.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>
    /// Wrong or missing arguments, no secret for a grant that needs one, a key, certificate, platform JWT or subject token
    /// file that cannot be used (an expired platform JWT among them), nothing in the store.
    /// </summary>
    public const int UsageError = 1;

    /// <summary>The server refused with an OAuth error: <c>invalid_grant</c>, <c>invalid_client</c>, <c>access_denied</c>, <c>expired_token</c>.</summary>
    public const int Refused = 2;

    /// <summary>The server could not be reached, did not answer in time, or answered something that is not OAuth.</summary>
    public const int ServerFailure = 3;

    /// <summary>A browser login did not complete: its time limit passed, or the redirect carried the wrong state.</summary>
    public const int LoginIncomplete = 4;

    /// <summary>Interrupted (Ctrl+C): the shell's convention, 128 + SIGINT.</summary>
    public const int Interrupted = 130;

    public const string Help =
        "Exit codes: 0 success; 1 usage error (arguments, missing secret, unusable key, certificate or token file, expired platform JWT, empty store); 2 refused by the server " +
        "(invalid_grant, invalid_client, access_denied, expired_token); 3 server or network failure; " +
        "4 login not completed (time limit, state mismatch); 130 interrupted.";
}
