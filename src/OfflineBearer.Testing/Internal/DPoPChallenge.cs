namespace OfflineBearer.Testing.Internal;

/// <summary>
/// The API's 401 for a DPoP request (RFC 9449 section 7.1):
/// <c>WWW-Authenticate: DPoP error="…", error_description="…", algs="ES256 …"</c>, with the current nonce in
/// <c>DPoP-Nonce</c> when the server requires one. OpenIddict writes Bearer challenges only.
/// </summary>
internal sealed class DPoPChallenge(string error, string description, string? nonce) : IResult
{
    private static readonly string Algorithms = string.Join(' ', DPoP.Algorithms);

    public string Error { get; } = error;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);

        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.Headers.WWWAuthenticate =
            $"{DPoP.Scheme} error=\"{Error}\", error_description=\"{Quotable(description)}\", algs=\"{Algorithms}\"";
        if (nonce is not null)
        {
            response.Headers[DPoP.NonceHeader] = nonce;
        }

        return Task.CompletedTask;
    }

    // A quoted-string (RFC 9110 section 5.6.4) must not hold a bare quote or backslash.
    private static string Quotable(string text) => text.Replace("\"", "'", StringComparison.Ordinal).Replace("\\", "/", StringComparison.Ordinal);
}
