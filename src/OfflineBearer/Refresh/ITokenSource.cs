namespace OfflineBearer.Refresh;

/// <summary>
/// Where a client's holder gets its next access token: from this process alone (<see cref="LocalTokenSource"/>) or from
/// the fleet that shares a store (<c>FleetTokenSource</c>). Chosen once per client by the registry; called by the
/// holder's single flight, one call at a time.
/// </summary>
internal interface ITokenSource
{
    /// <summary>The next token, with what happened to get it.</summary>
    /// <param name="validUntil">When the token the holder has expires (a timestamp); in the past when it has none it may send.</param>
    /// <param name="cancellationToken">The refresh's time limit.</param>
    Task<TokenResult> GetTokenAsync(long validUntil, CancellationToken cancellationToken);
}
