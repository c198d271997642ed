using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using OfflineBearer.Testing.Internal;

namespace OfflineBearer.Testing;

/// <summary>
/// What a <see cref="TestTokenServer"/> has seen since it started or since <see cref="Reset"/>: token requests by client
/// and grant, calls to its protected API, the DPoP proofs (RFC 9449) both checked, mutual TLS (RFC 8705), the requests a
/// fault answered, and, never reset, the lineage of every refresh token it issued and every time one was presented.
/// All members are thread-safe.
/// </summary>
public sealed class TokenLedger
{
    private readonly TimeProvider _time;
    // One entry per answered token request: the counts by client, grant and outcome are read from it, so Reset clears one queue.
    private readonly ConcurrentQueue<RecordedTokenRequest> _tokenRequests = new();
    private readonly ConcurrentQueue<(bool Rejected, bool Expired)> _apiRequests = new();

    private static readonly object ReceivedAtKey = new();

    private readonly RefreshTokenLineages _lineages = new();
    private int _refreshTokensPresentedAgain;
    private int _deviceAuthorizationRequests;
    private int _faultedRequests;
    private int _requestsInFlight;
    private long _requestsStarted;
    private int _tokenDPoPProofsAccepted;
    private int _tokenDPoPProofsRefused;
    private int _tokenDPoPNonceChallenges;
    private int _apiDPoPProofsAccepted;
    private int _apiDPoPProofsRefused;
    private int _apiDPoPNonceChallenges;
    private int _apiCertificateBindingRefusals;

    internal TokenLedger(TimeProvider time) => _time = time;

    /// <summary>
    /// Token endpoint requests that OpenIddict answered, successful or not, of one client and one grant; a
    /// <see langword="null"/> filter matches any. Requests a fault answered are in <see cref="FaultedRequests"/> instead.
    /// </summary>
    /// <param name="clientId">The client, e.g. <see cref="TestTokenServer.BasicClientId"/>; <see langword="null"/> for any.</param>
    /// <param name="grant">The <c>grant_type</c>, e.g. <c>refresh_token</c>; <see langword="null"/> for any.</param>
    /// <returns>How many such requests the server answered.</returns>
    public int TokenRequests(string? clientId = null, string? grant = null) =>
        _tokenRequests.Count(request =>
            (clientId is null || string.Equals(request.ClientId, clientId, StringComparison.Ordinal))
            && (grant is null || string.Equals(request.GrantType, grant, StringComparison.Ordinal)));

    /// <summary>Token endpoint requests answered with an OAuth error.</summary>
    public int FailedTokenRequests => _tokenRequests.Count(request => request.Error is not null);

    /// <summary>
    /// Refresh requests that presented an already redeemed refresh token, so reuse detection fired and the grant
    /// was revoked. Only rotation produces redeemed tokens.
    /// </summary>
    public int ReusedRefreshTokens => _tokenRequests.Count(request => request.ReusedRefreshToken);

    /// <summary>
    /// Refresh requests that presented a refresh token this server had already redeemed (accepted once), whether or not it
    /// rotates refresh tokens or accepted it again: the server's own answer to "was any refresh token redeemed twice?". A
    /// refused presentation (a DPoP nonce challenge, say) does not spend a token, so sending it again is not counted. The count is
    /// reset by <see cref="Reset"/>; the record of presented tokens behind it never is, so a token presented before a reset
    /// and again after it is counted.
    /// </summary>
    public int RefreshTokensPresentedAgain => Volatile.Read(ref _refreshTokensPresentedAgain);

    /// <summary>
    /// Every token endpoint request that OpenIddict answered since the start or <see cref="Reset"/>, in the order answered,
    /// with its form parameters as sent: what <see cref="TokenRequests"/> counts, one by one. Requests a fault answered are
    /// not in it. A snapshot: later requests do not change a list already read.
    /// </summary>
    public IReadOnlyList<RecordedTokenRequest> TokenRequestLog => [.. _tokenRequests];

    /// <summary>Device authorization requests (RFC 8628 3.1, <c>connect/device</c>), successful or not.</summary>
    public int DeviceAuthorizationRequests => Volatile.Read(ref _deviceAuthorizationRequests);

    /// <summary>
    /// Requests to the protected API, filtered; a <see langword="null"/> filter matches any.
    /// </summary>
    /// <param name="rejected">Whether the API answered 401 or 403; <see langword="null"/> for any answer.</param>
    /// <param name="expired">
    /// Whether it answered 401 because the (otherwise genuine) access token had expired; <see langword="null"/> for any.
    /// </param>
    /// <returns>How many such requests reached the API.</returns>
    public int ApiRequests(bool? rejected = null, bool? expired = null) =>
        _apiRequests.Count(request => (rejected is null || request.Rejected == rejected) && (expired is null || request.Expired == expired));

    /// <summary>
    /// Requests that a fault of <see cref="TestTokenServer.Faults"/> answered (so the endpoint never saw them) or held in a
    /// <see cref="OutageKind.Hang"/> outage.
    /// </summary>
    public int FaultedRequests => Volatile.Read(ref _faultedRequests);

    /// <summary>
    /// HTTP requests the server has received and not yet answered, including those a fault holds. Not cleared by
    /// <see cref="Reset"/>. <see cref="TestTokenServer.AdvanceUntilDoneAsync"/> moves the clock only when every one of
    /// them is held by a fault, so no request the server works on sees its timeout pass.
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
    /// token sent with the DPoP scheme. Nonce challenges are not counted here; both are rejected <see cref="ApiRequests"/>.
    /// </summary>
    public int ApiDPoPProofsRefused => Volatile.Read(ref _apiDPoPProofsRefused);

    /// <summary>API requests answered 401 <c>use_dpop_nonce</c> with a <c>DPoP-Nonce</c> header: the proof lacked the current nonce.</summary>
    public int ApiDPoPNonceChallenges => Volatile.Read(ref _apiDPoPNonceChallenges);

    /// <summary>
    /// Token requests that arrived at the mutual TLS alias <see cref="TestTokenServer.MtlsTokenEndpoint"/>, successful or
    /// not; they are counted in <see cref="TokenRequests"/> too.
    /// </summary>
    public int MtlsTokenRequests => _tokenRequests.Count(request => request.Mtls);

    /// <summary>
    /// API requests answered 401 because the access token is bound to a client certificate (<c>cnf.x5t#S256</c>, RFC 8705)
    /// and the connection presented none or another one. They are rejected <see cref="ApiRequests"/> too.
    /// </summary>
    public int ApiCertificateBindingRefusals => Volatile.Read(ref _apiCertificateBindingRefusals);

    /// <summary>
    /// Throws when a refresh token was presented again since the last <see cref="Reset"/> (or the start) after the server
    /// had redeemed it, at any time, whether or not the server rotates refresh tokens or accepted it again: a client that
    /// replays a spent refresh token gets its whole session revoked by a server with reuse detection. The message names
    /// the client, the token's place in its lineage (which grant or refresh issued it) and each presentation with its
    /// answer, never the token.
    /// </summary>
    /// <exception cref="TokenLedgerAssertionException">A refresh token was presented twice or more.</exception>
    public void AssertNoRefreshTokenPresentedTwice()
    {
        var presentedTwice = _lineages.DescribeReplays();
        if (presentedTwice.Count == 0)
        {
            return;
        }

        var message = new StringBuilder().Append(CultureInfo.InvariantCulture,
            $"{presentedTwice.Count} refresh token(s) were presented again after they were redeemed, to {nameof(TestTokenServer)}:");
        foreach (var token in presentedTwice)
        {
            message.AppendLine().Append(CultureInfo.InvariantCulture, $"- {token}");
        }

        throw new TokenLedgerAssertionException(message.ToString());
    }

    /// <summary>
    /// Empties <see cref="TokenRequestLog"/>, sets every count back to zero, except <see cref="RequestsInFlight"/>, and starts a new period for
    /// <see cref="AssertNoRefreshTokenPresentedTwice"/>: replays that happened before are no longer reported, but the
    /// lineage is kept, so a token presented before and again after the reset is.
    /// </summary>
    public void Reset()
    {
        _lineages.StartPeriod();

        _tokenRequests.Clear();
        _apiRequests.Clear();
        Volatile.Write(ref _refreshTokensPresentedAgain, 0);
        Volatile.Write(ref _deviceAuthorizationRequests, 0);
        Volatile.Write(ref _faultedRequests, 0);
        Volatile.Write(ref _tokenDPoPProofsAccepted, 0);
        Volatile.Write(ref _tokenDPoPProofsRefused, 0);
        Volatile.Write(ref _tokenDPoPNonceChallenges, 0);
        Volatile.Write(ref _apiDPoPProofsAccepted, 0);
        Volatile.Write(ref _apiDPoPProofsRefused, 0);
        Volatile.Write(ref _apiDPoPNonceChallenges, 0);
        Volatile.Write(ref _apiCertificateBindingRefusals, 0);
    }

    /// <summary>Records one answered token request and, on a refresh, the presentation and the refresh token it issued.</summary>
    internal void RecordTokenResponse(AnsweredTokenRequest answered)
    {
        _tokenRequests.Enqueue(new RecordedTokenRequest(answered));
        if (_lineages.Record(answered, _time.GetUtcNow()))
        {
            Interlocked.Increment(ref _refreshTokensPresentedAgain);
        }
    }

    internal void RecordApiRequest(bool rejected, bool expired) => _apiRequests.Enqueue((rejected, expired));

    internal void RecordFaultedRequest() => Interlocked.Increment(ref _faultedRequests);

    internal void RecordApiCertificateBindingRefusal() => Interlocked.Increment(ref _apiCertificateBindingRefusals);

    internal void RecordDeviceAuthorizationRequest() => Interlocked.Increment(ref _deviceAuthorizationRequests);

    internal void RecordTokenDPoP(DPoPOutcome outcome) =>
        Count(outcome, ref _tokenDPoPProofsAccepted, ref _tokenDPoPProofsRefused, ref _tokenDPoPNonceChallenges);

    internal void RecordApiDPoP(DPoPOutcome outcome) =>
        Count(outcome, ref _apiDPoPProofsAccepted, ref _apiDPoPProofsRefused, ref _apiDPoPNonceChallenges);

    /// <summary>Every request the server has received, never reset: a change between two looks means it was busy.</summary>
    internal long RequestsStarted => Interlocked.Read(ref _requestsStarted);

    /// <summary>When <paramref name="http"/> arrived, as <see cref="RequestStarted"/> noted it; now when it was not noted.</summary>
    internal DateTimeOffset ReceivedAt(HttpContext? http) =>
        http?.Items.TryGetValue(ReceivedAtKey, out var value) == true && value is DateTimeOffset receivedAt ? receivedAt : _time.GetUtcNow();

    internal void RequestStarted(HttpContext http)
    {
        http.Items[ReceivedAtKey] = _time.GetUtcNow();
        Interlocked.Increment(ref _requestsStarted);
        Interlocked.Increment(ref _requestsInFlight);
    }

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
