using OfflineBearer.Testing.Internal;

namespace OfflineBearer.Testing;

/// <summary>
/// One token request a <see cref="TestTokenServer"/> answered, as <see cref="TokenLedger.TokenRequestLog"/> keeps it: the
/// client it was taken for, the grant, the outcome, when it arrived, and every form parameter exactly as the client sent
/// it, so a test can check what a client sends (<c>client_assertion</c>, <c>subject_token</c>, <c>resource</c>, an extra
/// parameter) and what it leaves out. It holds the credentials the request carried: assert on them, never print them;
/// <see cref="ToString"/> names the parameters without their values.
/// </summary>
public sealed class RecordedTokenRequest
{
    private readonly IReadOnlyDictionary<string, string[]> _parameters;

    internal RecordedTokenRequest(AnsweredTokenRequest answered)
    {
        ClientId = answered.ClientId;
        GrantType = answered.GrantType;
        Error = answered.Error;
        ReceivedAt = answered.ReceivedAt;
        ReusedRefreshToken = answered.ReusedRefreshToken;
        Mtls = answered.Mtls;
        _parameters = answered.Parameters;
    }

    /// <summary>
    /// The client the server took the request for: from the form's <c>client_id</c>, the Basic header, or the subject of
    /// a workload token of <see cref="TestTokenServer.WorkloadIssuer"/>; <see langword="null"/> when none was known. What
    /// the form itself carried is <c>Value("client_id")</c>.
    /// </summary>
    public string? ClientId { get; }

    /// <summary>The <c>grant_type</c>, empty when the request had none.</summary>
    public string GrantType { get; }

    /// <summary>The OAuth error of the answer, e.g. <c>invalid_client</c>; <see langword="null"/> when tokens were issued.</summary>
    public string? Error { get; }

    /// <summary>When the server received the request, on its <see cref="TestTokenServerOptions.TimeProvider"/>.</summary>
    public DateTimeOffset ReceivedAt { get; }

    internal bool ReusedRefreshToken { get; }

    internal bool Mtls { get; }

    /// <summary>The value of a form parameter as sent, e.g. <c>Value("client_assertion")</c>.</summary>
    /// <param name="parameter">The parameter's name; names are case-sensitive, as in OAuth.</param>
    /// <returns>The value, the first one when the parameter was sent more than once; <see langword="null"/> when it was not sent.</returns>
    public string? Value(string parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        return _parameters.TryGetValue(parameter, out var values) && values.Length > 0 ? values[0] : null;
    }

    /// <summary>Every value of a form parameter that may repeat, e.g. <c>Values("resource")</c>, in the order sent.</summary>
    /// <param name="parameter">The parameter's name; names are case-sensitive, as in OAuth.</param>
    /// <returns>The values; empty when the parameter was not sent.</returns>
    public IReadOnlyList<string> Values(string parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        return _parameters.TryGetValue(parameter, out var values) ? values : [];
    }

    /// <summary>The client, grant, outcome and the names of the parameters sent; never a value.</summary>
    /// <returns>For example <c>basic-client client_credentials (ok) [grant_type, scope]</c>.</returns>
    public override string ToString() =>
        $"{ClientId ?? "(no client)"} {GrantType} ({Error ?? "ok"}) [{string.Join(", ", _parameters.Keys)}]";
}
