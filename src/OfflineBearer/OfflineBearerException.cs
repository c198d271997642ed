using System.Net;

namespace OfflineBearer;

/// <summary>
/// Thrown by <c>HttpClient.SendAsync</c> when no access token can be had for the request: the token endpoint
/// refused (an OAuth error such as <c>invalid_grant</c>), answered something that is not a token response, or
/// could not be reached. The message names the client and says what to do; it never contains a token or a secret.
/// </summary>
public sealed class OfflineBearerException : Exception
{
    /// <summary>Creates an exception with a message only.</summary>
    public OfflineBearerException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public OfflineBearerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public OfflineBearerException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception that carries the token endpoint's answer.</summary>
    public OfflineBearerException(
        string message,
        string? error,
        string? errorDescription,
        HttpStatusCode? statusCode,
        Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
        ErrorDescription = errorDescription;
        StatusCode = statusCode;
    }

    /// <summary>The OAuth error code (RFC 6749 section 5.2), such as <c>invalid_grant</c>; null when the server sent none.</summary>
    public string? Error { get; }

    /// <summary>The server's <c>error_description</c>, if it sent one.</summary>
    public string? ErrorDescription { get; }

    /// <summary>The HTTP status code of the token endpoint's answer; null when no answer arrived.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>
    /// A refusal of credentials that change on their own (a secret or a platform's JWT read from a file or a provider):
    /// the platform or an operator may fix it any moment, so the client asks again as after passing trouble, not after
    /// the long pause of a refusal that will be repeated.
    /// </summary>
    internal bool OfChangingCredentials { get; init; }
}
