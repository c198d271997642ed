namespace OfflineBearer.Testing.Internal;

/// <summary>One answered token request as the ledger keeps it: who asked for what, how it ended, which refresh tokens moved.</summary>
/// <param name="ClientId">The authenticated (or claimed) client, when the request named one.</param>
/// <param name="GrantType">The <c>grant_type</c>, empty when the request had none.</param>
/// <param name="Error">The OAuth error of the answer; <see langword="null"/> on success.</param>
/// <param name="ReusedRefreshToken">Whether reuse detection fired: the presented refresh token had been redeemed.</param>
/// <param name="Mtls">Whether the request came to the mutual TLS alias.</param>
/// <param name="PresentedRefreshToken">The refresh token a refresh request presented.</param>
/// <param name="IssuedRefreshToken">The refresh token the answer carried.</param>
/// <param name="ReceivedAt">When the server received the request, on its clock.</param>
/// <param name="Parameters">The form parameters as the client sent them, each with its values in order.</param>
internal readonly record struct AnsweredTokenRequest(
    string? ClientId,
    string GrantType,
    string? Error,
    bool ReusedRefreshToken,
    bool Mtls,
    string? PresentedRefreshToken,
    string? IssuedRefreshToken,
    DateTimeOffset ReceivedAt,
    IReadOnlyDictionary<string, string[]> Parameters);
