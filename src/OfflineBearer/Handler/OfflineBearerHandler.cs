using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using OfflineBearer.Caching;
using OfflineBearer.Diagnostics;
using OfflineBearer.DPoP;
using OfflineBearer.Options;

namespace OfflineBearer.Handler;

/// <summary>
/// Attaches the client's token to each request (a bearer token, or a DPoP-bound one with a proof for the request) and
/// sends a request again when a new token or the API's DPoP nonce can fix its 401 (or a gRPC call's UNAUTHENTICATED): at
/// most once for each reason, so at most three sends in all. Everything about tokens is the holder's business.
/// </summary>
internal sealed class OfflineBearerHandler : DelegatingHandler
{
    /// <summary>Marks a request already resent with a renewed token, so that no handler pipeline does that twice.</summary>
    internal static readonly HttpRequestOptionsKey<bool> Resent = new("OfflineBearer.Resent");

    /// <summary>Marks a request already resent for the API's DPoP nonce, so that no handler pipeline does that twice.</summary>
    internal static readonly HttpRequestOptionsKey<bool> NonceResent = new("OfflineBearer.NonceResent");

    private readonly TokenHolder _holder;
    private readonly ILogger _logger;
    private readonly bool _requireHttps;

    public OfflineBearerHandler(TokenHolder holder, ILogger logger)
    {
        _holder = holder;
        _logger = logger;
        _requireHttps = holder.RequireHttps;
    }

    /// <summary>
    /// The hot path is the first branch: a fresh bearer token is a field read, then a header set, and an answer that is
    /// already complete and not a 401 is the caller's as it is (no async state machine, no allocation of ours).
    /// </summary>
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_requireHttps)
        {
            EnsureTransportAllowed(request);
        }

        if (_holder.Fresh is { Proofs: null } fresh)
        {
            request.Headers.Authorization = fresh.Header;
            var sending = base.SendAsync(request, cancellationToken);
            return sending.IsCompletedSuccessfully && !IsRefusal(request, sending.Result)
                ? sending
                : AnswerAsync(fresh, sending, request, cancellationToken);
        }

        return SendAfterWaitAsync(_holder.GetTokenAsync(cancellationToken), request, cancellationToken);
    }

    /// <summary>The token, and for a DPoP-bound one a proof for this very request.</summary>
    /// <returns>The nonce the proof carries: a nonce challenge to this send is answered only if it names another.</returns>
    private static string? Attach(TokenSnapshot token, HttpRequestMessage request)
    {
        request.Headers.Authorization = token.Header;
        if (token.Proofs is not { } proofs)
        {
            return null;
        }

        var proof = proofs.Create(request.Method, request.RequestUri!, token.AccessTokenHash);
        request.Headers.Remove(DPoPProofs.ProofHeader);
        request.Headers.TryAddWithoutValidation(DPoPProofs.ProofHeader, proof.Jwt);
        return proof.Nonce;
    }

    /// <summary>A resend: the proof of the last send is spent (its jti), and a bearer token needs none.</summary>
    private static string? Reattach(TokenSnapshot token, HttpRequestMessage request)
    {
        request.Headers.Remove(DPoPProofs.ProofHeader);
        return Attach(token, request);
    }

    /// <summary>Anything but the hot path: a token that may need waiting for, or one bound to a DPoP key.</summary>
    private async Task<HttpResponseMessage> SendAfterWaitAsync(
        ValueTask<TokenSnapshot> pending, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await pending.ConfigureAwait(false);
        var sentNonce = Attach(token, request);
        return await AnswerAsync(token, sentNonce, base.SendAsync(request, cancellationToken), request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The hot path's slow end: a bearer token, whose request carried no proof and so no nonce.</summary>
    private Task<HttpResponseMessage> AnswerAsync(
        TokenSnapshot token, Task<HttpResponseMessage> sending, HttpRequestMessage request, CancellationToken cancellationToken) =>
        AnswerAsync(token, sentNonce: null, sending, request, cancellationToken);

    /// <summary>
    /// Keeps the answer's DPoP nonce and, for a 401 a resend can fix, sends the request again and judges that answer the
    /// same way. Each kind of resend is marked on the request and happens at most once, so this ends after three sends.
    /// </summary>
    /// <param name="token">The token the request was sent with.</param>
    /// <param name="sentNonce">The nonce the request's proof carried, null for none or no proof.</param>
    /// <param name="sending">The send.</param>
    /// <param name="request">The request, to resend.</param>
    /// <param name="cancellationToken">The caller's.</param>
    private async Task<HttpResponseMessage> AnswerAsync(
        TokenSnapshot token, string? sentNonce, Task<HttpResponseMessage> sending, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await sending.ConfigureAwait(false);
        var answerNonce = token.Proofs?.RememberNonce(request.RequestUri!, response.Headers);
        if (!IsRefusal(request, response))
        {
            return response;
        }

        // A gRPC UNAUTHENTICATED carries no challenge: only a 401 can ask for a nonce or say a new token cannot help.
        var unauthorized = response.StatusCode == HttpStatusCode.Unauthorized;
        if (unauthorized && token.Proofs is not null && BearerChallenge.AsksForDPoPNonce(response.Headers))
        {
            return await ResendWithNonceAsync(token, sentNonce, answerNonce, response, request, cancellationToken).ConfigureAwait(false);
        }

        if (unauthorized && !BearerChallenge.AsksForNewToken(response.Headers, token.Header.Scheme))
        {
            _holder.Telemetry.NotResent("not_a_token_problem");
            return response;
        }

        if (IsMarked(request, Resent))
        {
            _holder.Telemetry.NotResent("second_401");
            return response;
        }

        if (!CanResendContent(request))
        {
            // The body cannot be sent again, but the next request must not meet the same refusal.
            _holder.Telemetry.NotResent("streamed_body");
            await RenewQuietlyAsync(token, cancellationToken).ConfigureAwait(false);
            return response;
        }

        Log.ResendingAfterUnauthorized(_logger, _holder.ClientName, unauthorized ? "401" : "gRPC status 16 (UNAUTHENTICATED)", request.Method.Method);
        _holder.Telemetry.Resent();
        var newer = await GetTokenAfterRejectionAsync(token, response, cancellationToken).ConfigureAwait(false);
        response.Dispose();
        request.Options.Set(Resent, true);
        var resentNonce = Reattach(newer, request);
        return await AnswerAsync(newer, resentNonce, base.SendAsync(request, cancellationToken), request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// RFC 9449 9: the API wants its nonce in the proof. The same token goes again with a proof that carries the nonce
    /// the challenge names, when that is not the one this send's proof already carried: whether another request learned
    /// it first does not matter. Once per request; a body that cannot be sent again gets the 401.
    /// </summary>
    private async Task<HttpResponseMessage> ResendWithNonceAsync(
        TokenSnapshot token, string? sentNonce, string? askedNonce, HttpResponseMessage response, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var refusal = askedNonce is null || askedNonce == sentNonce ? "same_nonce"
            : IsMarked(request, NonceResent) ? "second_nonce_challenge"
            : !CanResendContent(request) ? "streamed_body"
            : null;
        if (refusal is not null)
        {
            _holder.Telemetry.NotResent(refusal);
            return response;
        }

        response.Dispose();
        request.Options.Set(NonceResent, true);
        var resentNonce = Reattach(token, request);
        return await AnswerAsync(token, resentNonce, base.SendAsync(request, cancellationToken), request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Synchronous sends are not supported: getting a token may need network I/O, and blocking on it would be
    /// sync-over-async. Use <c>SendAsync</c>.
    /// </summary>
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        throw new NotSupportedException(
            $"OfflineBearer client '{_holder.ClientName}' supports only asynchronous sends (HttpClient.SendAsync), because getting a token may need network I/O.");

    private async Task<TokenSnapshot> GetTokenAfterRejectionAsync(TokenSnapshot rejected, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await _holder.GetTokenAfterRejectionAsync(rejected, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private void EnsureTransportAllowed(HttpRequestMessage request)
    {
        if (request.RequestUri is { IsAbsoluteUri: true } uri && !Transport.IsAllowed(uri))
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{_holder.ClientName}' refused to send a bearer token over plain http to {uri.Host}. " +
                "Use https, or set RequireHttps to false if the network is trusted.");
        }
    }

    /// <summary>An answer that refuses the request's credentials: a 401, or a gRPC call's trailers-only UNAUTHENTICATED.</summary>
    private static bool IsRefusal(HttpRequestMessage request, HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.Unauthorized || GrpcCalls.RefusedUnauthenticated(request, response);

    private static bool IsMarked(HttpRequestMessage request, HttpRequestOptionsKey<bool> mark) =>
        request.Options.TryGetValue(mark, out var marked) && marked;

    /// <summary>
    /// Content that can be sent again: none, content buffered in memory, or a gRPC call's one request message. A streamed
    /// body may be consumed.
    /// </summary>
    private static bool CanResendContent(HttpRequestMessage request) =>
        request.Content is null or ByteArrayContent or ReadOnlyMemoryContent or JsonContent
        || GrpcCalls.SendsOneMessage(request.Content);

    private async Task RenewQuietlyAsync(TokenSnapshot rejected, CancellationToken cancellationToken)
    {
        try
        {
            await _holder.GetTokenAfterRejectionAsync(rejected, cancellationToken).ConfigureAwait(false);
        }
        catch (OfflineBearerException)
        {
            // Recorded and logged by the holder; this caller gets the API's 401 it would have got anyway.
        }
    }
}
