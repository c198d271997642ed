using System.Globalization;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// One refresh token in the ledger: its number in the order the server issued them, the refresh token it replaced, and
/// every time it was presented with the answer. Holds no token; the ledger keys it by a fingerprint.
/// </summary>
internal sealed class RefreshTokenLineage(string? clientId, int number, string issuedBy, RefreshTokenLineage? parent, DateTimeOffset issuedAt)
{
    public const string Accepted = "accepted";

    public int Number { get; } = number;

    /// <summary>Whether the server accepted it once: from then on it is spent, and presenting it again is a replay.</summary>
    public bool Redeemed => Presentations.Exists(presentation => presentation.Answer == Accepted);

    /// <summary>Whether it was presented after a presentation the server accepted.</summary>
    public bool PresentedAfterRedeemed =>
        Presentations.FindIndex(presentation => presentation.Answer == Accepted) is var first && first >= 0 && first < Presentations.Count - 1;

    /// <summary>When and with what answer (<c>accepted</c> or the OAuth error) the token was presented. Guarded by the ledger.</summary>
    public List<(DateTimeOffset At, string Answer, int Period)> Presentations { get; } = [];

    public string Describe()
    {
        var origin = parent is null
            ? $"issued at {issuedAt:O} by a {issuedBy} grant"
            : $"issued at {issuedAt:O} by the refresh that presented refresh token #{parent.Number}";
        var presentations = string.Join(", ", Presentations.Select(presentation =>
            string.Create(CultureInfo.InvariantCulture, $"{presentation.At:O} ({presentation.Answer})")));
        return $"refresh token #{Number} of client '{clientId ?? "(none)"}', {origin}, was presented {Presentations.Count} times: {presentations}";
    }
}
