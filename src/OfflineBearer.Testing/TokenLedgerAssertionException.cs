namespace OfflineBearer.Testing;

/// <summary>
/// Thrown by an assertion of <see cref="TokenLedger"/> when the server saw what a correct client never does. The message
/// says what happened, to which client and when; it never holds a token. Any test framework reports it as a failure.
/// </summary>
public sealed class TokenLedgerAssertionException : Exception
{
    /// <summary>Creates the exception with no message.</summary>
    public TokenLedgerAssertionException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What the server saw.</param>
    public TokenLedgerAssertionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What the server saw.</param>
    /// <param name="innerException">The cause.</param>
    public TokenLedgerAssertionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
