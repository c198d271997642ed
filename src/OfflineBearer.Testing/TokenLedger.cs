using System.Collections.Concurrent;
using OfflineBearer.Testing.Internal;

namespace OfflineBearer.Testing;

/// <summary>
/// What a <see cref="TestTokenServer"/> has seen since it started or since <see cref="Reset"/>: token endpoint requests,
/// calls to the protected API, the DPoP proofs (RFC 9449) both checked, and mutual TLS (RFC 8705). All members are thread-safe.
/// </summary>
public sealed class TokenLedger
{
    private readonly ConcurrentDictionary<string, int> _tokenRequestsByGrantType = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _presentedRefreshTokens = new(StringComparer.Ordinal);
    private int _refreshTokensPresentedAgain;
    private int _failedTokenRequests;
    private int _reusedRefreshTokens;
    private int _deviceAuthorizationRequests;
    private int _apiCalls;
    private int _apiRejected;
    private int _apiRejectedExpired;
    private int _requestsInFlight;
    private int _tokenDPoPProofsAccepted;
    private int _tokenDPoPProofsRefused;
    private int _tokenDPoPNonceChallenges;
    private int _apiDPoPProofsAccepted;
    private int _apiDPoPProofsRefused;
    private int _apiDPoPNonceChallenges;
    private int _mtlsTokenRequests;
    private int _apiCertificateBindingRefusals;

    /// <summary>Token endpoint requests with this <c>grant_type</c>, successful or not, from any client.</summary>
    public int TokenRequests(string grantType) => _tokenRequestsByGrantType.GetValueOrDefault(grantType);

    /// <summary>All token endpoint requests, successful or not.</summary>
    public int TokenRequests() => _tokenRequestsByGrantType.Values.Sum();

    /// <summary>Token endpoint requests answered with an OAuth error.</summary>
    public int FailedTokenRequests => Volatile.Read(ref _failedTokenRequests);

    /// <summary>
    /// Refresh requests that presented an already redeemed refresh token, so reuse detection fired and the grant
    /// was revoked. Only rotation produces redeemed tokens.
    /// </summary>
    public int ReusedRefreshTokens => Volatile.Read(ref _reusedRefreshTokens);

    /// <summary>
    /// Refresh requests that presented a refresh token this server had been presented before, since it started (the
    /// record of presented tokens is never reset; the count is), whether or not the server rotates refresh tokens or
    /// accepted it: the server's own answer to "was any refresh token redeemed twice?".
    /// </summary>
    public int RefreshTokensPresentedAgain => Volatile.Read(ref _refreshTokensPresentedAgain);

    /// <summary>Device authorization requests (RFC 8628 3.1, <c>connect/device</c>), successful or not.</summary>
    public int DeviceAuthorizationRequests => Volatile.Read(ref _deviceAuthorizationRequests);

    /// <summary>Requests that reached the protected API, accepted or not.</summary>
    public int ApiCalls => Volatile.Read(ref _apiCalls);

    /// <summary>API requests answered 401.</summary>
    public int ApiRejected => Volatile.Read(ref _apiRejected);

    /// <summary>API requests answered 401 because the (otherwise genuine) access token had expired.</summary>
    public int ApiRejectedExpired => Volatile.Read(ref _apiRejectedExpired);

    /// <summary>
    /// HTTP requests the server has received and not yet answered. Not cleared by <see cref="Reset"/>. A test that moves a
    /// fake clock while a client waits moves it only when this is zero, so no request in flight sees its timeout pass.
    /// </summary>
    public int RequestsInFlight => Volatile.Read(ref _requestsInFlight);

    /// <summary>Token requests whose DPoP proof was valid (and, on a refresh of a bound refresh token, of its key).</summary>
    public int TokenDPoPProofsAccepted => Volatile.Read(ref _tokenDPoPProofsAccepted);

    /// <summary>
    /// Token requests refused for DPoP with <c>invalid_dpop_proof</c> or <c>invalid_grant</c>: a proof that is invalid,
    /// replayed or of another key than the refresh token's, or none where one is needed. Nonce challenges are not counted here.
    /// </summary>
    public int TokenDPoPProofsRefused => Volatile.Read(ref _tokenDPoPProofsRefused);

    /// <summary>Token requests answered <c>use_dpop_nonce</c> with a <c>DPoP-Nonce</c> header: the proof lacked the current nonce.</summary>
    public int TokenDPoPNonceChallenges => Volatile.Read(ref _tokenDPoPNonceChallenges);

    /// <summary>API requests with a DPoP-bound access token and a valid proof of its key.</summary>
    public int ApiDPoPProofsAccepted => Volatile.Read(ref _apiDPoPProofsAccepted);

    /// <summary>
    /// API requests answered 401 for DPoP: a bound token sent as Bearer or without a valid proof of its key, or an unbound
    /// token sent with the DPoP scheme. Nonce challenges are not counted here; both are counted in <see cref="ApiRejected"/>.
    /// </summary>
    public int ApiDPoPProofsRefused => Volatile.Read(ref _apiDPoPProofsRefused);

    /// <summary>API requests answered 401 <c>use_dpop_nonce</c> with a <c>DPoP-Nonce</c> header: the proof lacked the current nonce.</summary>
    public int ApiDPoPNonceChallenges => Volatile.Read(ref _apiDPoPNonceChallenges);

    /// <summary>
    /// Token requests that arrived at the mutual TLS alias <see cref="TestTokenServer.MtlsTokenEndpoint"/>, successful or not;
    /// they are counted in <see cref="TokenRequests()"/> too.
    /// </summary>
    public int MtlsTokenRequests => Volatile.Read(ref _mtlsTokenRequests);

    /// <summary>
    /// API requests answered 401 because the access token is bound to a client certificate (<c>cnf.x5t#S256</c>, RFC 8705)
    /// and the connection presented none or another one. Counted in <see cref="ApiRejected"/> too.
    /// </summary>
    public int ApiCertificateBindingRefusals => Volatile.Read(ref _apiCertificateBindingRefusals);

    /// <summary>Sets every counter back to zero, except <see cref="RequestsInFlight"/>.</summary>
    public void Reset()
    {
        _tokenRequestsByGrantType.Clear();
        Volatile.Write(ref _failedTokenRequests, 0);
        Volatile.Write(ref _reusedRefreshTokens, 0);
        Volatile.Write(ref _refreshTokensPresentedAgain, 0);
        Volatile.Write(ref _deviceAuthorizationRequests, 0);
        Volatile.Write(ref _apiCalls, 0);
        Volatile.Write(ref _apiRejected, 0);
        Volatile.Write(ref _apiRejectedExpired, 0);
        Volatile.Write(ref _tokenDPoPProofsAccepted, 0);
        Volatile.Write(ref _tokenDPoPProofsRefused, 0);
        Volatile.Write(ref _tokenDPoPNonceChallenges, 0);
        Volatile.Write(ref _apiDPoPProofsAccepted, 0);
        Volatile.Write(ref _apiDPoPProofsRefused, 0);
        Volatile.Write(ref _apiDPoPNonceChallenges, 0);
        Volatile.Write(ref _mtlsTokenRequests, 0);
        Volatile.Write(ref _apiCertificateBindingRefusals, 0);
    }

    internal void RecordTokenRequest(string grantType, bool failed, bool reusedRefreshToken)
    {
        _tokenRequestsByGrantType.AddOrUpdate(grantType, 1, static (_, count) => count + 1);

        if (failed)
        {
            Interlocked.Increment(ref _failedTokenRequests);
        }

        if (reusedRefreshToken)
        {
            Interlocked.Increment(ref _reusedRefreshTokens);
        }
    }

    internal void RecordRefreshTokenPresented(string refreshToken)
    {
        if (!_presentedRefreshTokens.TryAdd(refreshToken, 0))
        {
            Interlocked.Increment(ref _refreshTokensPresentedAgain);
        }
    }

    internal void RecordMtlsTokenRequest() => Interlocked.Increment(ref _mtlsTokenRequests);

    internal void RecordApiCertificateBindingRefusal() => Interlocked.Increment(ref _apiCertificateBindingRefusals);

    internal void RecordDeviceAuthorizationRequest() => Interlocked.Increment(ref _deviceAuthorizationRequests);

    internal void RecordApiCall() => Interlocked.Increment(ref _apiCalls);

    internal void RecordApiRejection(bool expired)
    {
        Interlocked.Increment(ref _apiRejected);

        if (expired)
        {
            Interlocked.Increment(ref _apiRejectedExpired);
        }
    }

    internal void RecordTokenDPoP(DPoPOutcome outcome) =>
        Count(outcome, ref _tokenDPoPProofsAccepted, ref _tokenDPoPProofsRefused, ref _tokenDPoPNonceChallenges);

    internal void RecordApiDPoP(DPoPOutcome outcome) =>
        Count(outcome, ref _apiDPoPProofsAccepted, ref _apiDPoPProofsRefused, ref _apiDPoPNonceChallenges);

    internal void RequestStarted() => Interlocked.Increment(ref _requestsInFlight);

    internal void RequestEnded() => Interlocked.Decrement(ref _requestsInFlight);

    private static void Count(DPoPOutcome outcome, ref int accepted, ref int refused, ref int nonceChallenges)
    {
        switch (outcome)
        {
            case DPoPOutcome.Accepted:
                Interlocked.Increment(ref accepted);
                break;
            case DPoPOutcome.Refused:
                Interlocked.Increment(ref refused);
                break;
            default:
                Interlocked.Increment(ref nonceChallenges);
                break;
        }
    }
}
