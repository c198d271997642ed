using OfflineBearer.TokenEndpoint;

namespace OfflineBearer.Tooling;

/// <summary>
/// The requests only <c>offline-token</c> sends besides grants: device authorization (RFC 8628) and revocation
/// (RFC 7009), with the client's own authentication through its <see cref="TokenEndpointClient"/>.
/// </summary>
internal static class ToolRequests
{
    /// <summary>RFC 8628 3.1: asks the device authorization endpoint for a device code and a user code.</summary>
    public static async Task<DeviceAuthorization> RequestDeviceAuthorizationAsync(
        this TokenEndpointClient endpoint, CancellationToken cancellationToken)
    {
        var address = await endpoint.Discovery.GetEndpointAsync(static m => m.DeviceAuthorizationEndpoint, "device_authorization_endpoint", cancellationToken)
            .ConfigureAwait(false);
        List<KeyValuePair<string, string>> form = string.IsNullOrWhiteSpace(endpoint.Client.Options.Scope) ? [] : [new("scope", endpoint.Client.Options.Scope)];
        const string what = "the device authorization request";

        // Nothing is spent by asking twice: a lost answer only leaves an unused device code behind.
        using var answer = await endpoint.PostFormAsync(address, form, what, repeatable: true, cancellationToken).ConfigureAwait(false);
        if (answer is { IsSuccess: true, Body: { } body } && DeviceAuthorization.Parse(body) is { } authorization)
        {
            return authorization;
        }

        throw endpoint.Refusal.Of(answer, TokenEndpointRefusal.Parse(answer), "device authorization", what);
    }

    /// <summary>
    /// RFC 7009: revokes <paramref name="token"/> at the revocation endpoint. A token the server no longer knows counts as
    /// revoked (the server answers 200, as the RFC says it must).
    /// </summary>
    public static async Task RevokeAsync(this TokenEndpointClient endpoint, string token, string tokenTypeHint, CancellationToken cancellationToken)
    {
        var address = await endpoint.Discovery.GetEndpointAsync(static m => m.RevocationEndpoint, "revocation_endpoint", cancellationToken)
            .ConfigureAwait(false);
        const string what = "the revocation request";

        // Revoking twice is harmless, so a revocation that may have been lost is sent again.
        using var answer = await endpoint.PostFormAsync(address, [new("token", token), new("token_type_hint", tokenTypeHint)], what, repeatable: true, cancellationToken)
            .ConfigureAwait(false);
        if (!answer.IsSuccess)
        {
            throw endpoint.Refusal.Of(answer, TokenEndpointRefusal.Parse(answer), "revocation", what, token);
        }
    }
}
