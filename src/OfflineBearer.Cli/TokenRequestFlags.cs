namespace OfflineBearer.Cli;

/// <summary>
/// Which of the flags that shape a token request a command takes. A command refuses the others with a sentence that says
/// which command takes them, rather than System.CommandLine's "unrecognized argument".
/// </summary>
[Flags]
internal enum TokenRequestFlags
{
    /// <summary>None: the command asks for no token (<c>revoke</c>).</summary>
    None = 0,

    /// <summary><c>--resource</c>: every command that asks for a token.</summary>
    Resource = 1,

    /// <summary><c>--audience</c>: the commands that run the client's own grant (<c>get</c>, and <c>token</c> again).</summary>
    Audience = 2,

    /// <summary>
    /// <c>--grant</c> and the subject token's flags: the command that runs the client's own grant and remembers it
    /// (<c>get</c>); <c>token</c> runs it again as remembered.
    /// </summary>
    Grant = 4,
}
