using OfflineBearer.JwtClaims;

namespace OfflineBearer.ClientAuthentication;

/// <summary>
/// A JWT that the platform issues and renews (a Kubernetes projected service account token, a CI job's OIDC token), read
/// from its source at every token request; one that has expired is reported and never sent, since the server would only
/// refuse it and the refusal would not say why.
/// </summary>
internal sealed class PlatformAssertion(string clientName, CredentialSource source, TimeProvider time)
{
    /// <summary>Where it comes from, for messages.</summary>
    public string Description => source.Description;

    /// <summary>The JWT as the platform has it now.</summary>
    /// <exception cref="OfflineBearerException">It cannot be read, is not a JWT, or has expired.</exception>
    public async ValueTask<string> ReadAsync(CancellationToken cancellationToken)
    {
        var jwt = await source.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (!UnverifiedJwt.IsReadable(jwt))
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{clientName}': {source.Description} does not hold a JWT (RFC 7523 assertions are JWTs); it was not sent.");
        }

        if (UnverifiedJwt.ReadExpiry(jwt) is { } expiry && expiry <= time.GetUtcNow())
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{clientName}': the JWT in {source.Description} expired at {expiry:u} and was not sent. " +
                "The platform renews it before it expires (the kubelet a projected service account token, the CI runner its OIDC token): " +
                "check that the file is the one the platform keeps current.");
        }

        return jwt;
    }
}
