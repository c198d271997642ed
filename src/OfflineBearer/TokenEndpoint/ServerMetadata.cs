namespace OfflineBearer.TokenEndpoint;

/// <summary>
/// The endpoints of a token server that OfflineBearer and its tool use, from discovery (RFC 8414 / OpenID Connect
/// Discovery) or from <see cref="OfflineBearerOptions.TokenEndpoint"/> alone. An endpoint the server does not name is null;
/// so is <see cref="Issuer"/> without discovery.
/// </summary>
internal sealed record ServerMetadata(
    Uri TokenEndpoint,
    Uri? AuthorizationEndpoint = null,
    Uri? DeviceAuthorizationEndpoint = null,
    Uri? RevocationEndpoint = null,
    string? Issuer = null);
