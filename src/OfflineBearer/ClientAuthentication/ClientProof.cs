using System.Net.Http.Headers;

namespace OfflineBearer.ClientAuthentication;

/// <summary>
/// How one token request proves its client: a Basic header, or form fields (the id, a secret, a platform's assertion).
/// Read once per request from the client's current credentials; a signed <c>private_key_jwt</c> assertion is added per
/// try on top of it.
/// </summary>
/// <param name="Header">The Basic header of <c>client_secret_basic</c>, else null.</param>
/// <param name="Fields">The form fields.</param>
/// <param name="Credential">The secret or assertion read for this request, to compare with the next read; null when fixed.</param>
internal sealed record ClientProof(AuthenticationHeaderValue? Header, IReadOnlyList<KeyValuePair<string, string>> Fields, string? Credential)
{
    /// <summary>Never prints the credential.</summary>
    public override string ToString() => "ClientProof (credentials redacted)";
}
