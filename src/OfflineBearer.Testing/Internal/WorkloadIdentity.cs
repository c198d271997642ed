using System.Globalization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// The server's trust in <see cref="TestWorkloadIssuer"/>: the checks Keycloak 26.5 makes of a federated client assertion
/// (<c>FederatedJWTClientValidator</c> with a Kubernetes identity provider), and the map of subjects to clients. A token
/// may be reused until it expires, as Keycloak permits for Kubernetes, so <c>jti</c> is not tracked.
/// </summary>
internal sealed class WorkloadIdentity(TestWorkloadIssuer issuer, IReadOnlyDictionary<string, string> subjects, TimeProvider time)
{
    /// <summary>The name of the method, Keycloak's client authenticator id; OpenIddict has none.</summary>
    public const string AuthenticationMethod = "federated-jwt";

    /// <summary>The longest <c>exp - iat</c> taken, Keycloak's limit for Kubernetes tokens.</summary>
    public static readonly TimeSpan MaximumLifetime = TimeSpan.FromHours(1);

    private static readonly JsonWebTokenHandler Handler = new();

    public TestWorkloadIssuer Issuer { get; } = issuer;

    /// <summary>Whether a token says, unverified, that the workload issuer made it: the check that picks our path over OpenIddict's.</summary>
    public bool ClaimsToBeFromIssuer(string? token) =>
        Read(token) is { } jwt && jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Iss, out var iss) && string.Equals(iss, Issuer.Issuer, StringComparison.Ordinal);

    /// <summary>The client a workload subject authenticates as, if it is mapped to one.</summary>
    public string? ClientOf(string subject) => subjects.TryGetValue(subject, out var clientId) ? clientId : null;

    /// <summary>Whether some workload subject authenticates as this client.</summary>
    public bool IsFederated(string clientId) => subjects.Values.Contains(clientId, StringComparer.Ordinal);

    /// <summary>
    /// Checks a token of the workload issuer: its signature and issuer, one audience that is the server's issuer, an
    /// <c>exp</c> not passed, an <c>iat</c> not in the future and at most an hour before <c>exp</c>, <c>nbf</c> if present,
    /// and a <c>sub</c>.
    /// </summary>
    /// <param name="token">The compact JWT.</param>
    /// <param name="serverIssuer">The token server's issuer, as OpenIddict names it; with or without its trailing slash.</param>
    public async Task<WorkloadTokenCheck> CheckAsync(string token, Uri serverIssuer)
    {
        if (Read(token) is not { } jwt)
        {
            return WorkloadTokenCheck.Fail("is not a JWT");
        }

        if (!jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Iss, out var iss) || !string.Equals(iss, Issuer.Issuer, StringComparison.Ordinal))
        {
            return WorkloadTokenCheck.Fail($"was not issued by the workload issuer '{Issuer.Issuer}'");
        }

        var signature = await Handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidIssuer = Issuer.Issuer,
            IssuerSigningKey = Issuer.PublicKey,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            // Audience and times are checked below, on the server's clock, each with its own answer.
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
        }).ConfigureAwait(false);
        if (!signature.IsValid)
        {
            return WorkloadTokenCheck.Fail("is not signed by the workload issuer's key");
        }

        var audiences = jwt.Audiences.ToList();
        var expected = serverIssuer.AbsoluteUri;
        if (audiences.Count != 1)
        {
            return WorkloadTokenCheck.Fail($"must have exactly one audience, the issuer '{expected}'; it has {audiences.Count}");
        }

        if (!string.Equals(audiences[0], expected, StringComparison.Ordinal) && !string.Equals(audiences[0] + "/", expected, StringComparison.Ordinal))
        {
            return WorkloadTokenCheck.Fail($"has the audience '{audiences[0]}'; it must be the issuer '{expected}'");
        }

        var now = time.GetUtcNow();
        if (!TryGetTime(jwt, JwtRegisteredClaimNames.Exp, out var expires))
        {
            return WorkloadTokenCheck.Fail("has no exp");
        }

        if (expires <= now)
        {
            return WorkloadTokenCheck.Fail($"expired at {Format(expires)}; the server's time is {Format(now)}");
        }

        if (!TryGetTime(jwt, JwtRegisteredClaimNames.Iat, out var issuedAt))
        {
            return WorkloadTokenCheck.Fail("has no iat");
        }

        if (issuedAt > now)
        {
            return WorkloadTokenCheck.Fail($"was issued in the future: iat {Format(issuedAt)} is after the server's time {Format(now)}");
        }

        if (expires - issuedAt > MaximumLifetime)
        {
            return WorkloadTokenCheck.Fail(
                $"lives {(expires - issuedAt).TotalSeconds.ToString(CultureInfo.InvariantCulture)} s (exp - iat); at most {MaximumLifetime.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s are accepted");
        }

        if (TryGetTime(jwt, JwtRegisteredClaimNames.Nbf, out var notBefore) && notBefore > now)
        {
            return WorkloadTokenCheck.Fail($"is not valid before {Format(notBefore)}; the server's time is {Format(now)}");
        }

        return jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Sub, out var subject) && !string.IsNullOrEmpty(subject)
            ? new WorkloadTokenCheck(subject, expires, null)
            : WorkloadTokenCheck.Fail("has no sub");
    }

    private static JsonWebToken? Read(string? token)
    {
        if (string.IsNullOrEmpty(token) || !Handler.CanReadToken(token))
        {
            return null;
        }

        try
        {
            return new JsonWebToken(token);
        }
        catch (SecurityTokenMalformedException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static bool TryGetTime(JsonWebToken jwt, string claim, out DateTimeOffset value)
    {
        var found = jwt.TryGetPayloadValue<long>(claim, out var seconds);
        value = found ? DateTimeOffset.FromUnixTimeSeconds(seconds) : default;
        return found;
    }

    private static string Format(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);
}
