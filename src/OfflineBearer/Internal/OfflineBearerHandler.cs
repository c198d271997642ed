using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using OfflineBearer.Diagnostics;

namespace OfflineBearer.Internal;

/// <summary>
/// Attaches the client's token to each request (a bearer token, or a DPoP-bound one with a proof for the request) and,
/// when the API answers 401 because of the token or asks for its DPoP nonce, sends the request once more. Everything
/// about tokens is the holder's business.
/// </summary>
internal sealed class OfflineBearerHandler : DelegatingHandler
{
    /// <summary>Marks a request that was already resent, so that no handler pipeline ever resends it twice.</summary>
    internal static readonly HttpRequestOptionsKey<bool> Resent = new("OfflineBearer.Resent");

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
            return sending.IsCompletedSuccessfully && sending.Result.StatusCode != HttpStatusCode.Unauthorized
                ? sending
                : AnswerAsync(fresh, sending, request, cancellationToken);
        }

        return SendAfterWaitAsync(_holder.GetTokenAsync(cancellationToken), request, cancellationToken);
    }

    /// <summary>The token, and for a DPoP-bound one a proof for this very request.</summary>
    private static void Attach(TokenSnapshot token, HttpRequestMessage request)
    {
        request.Headers.Authorization = token.Header;
        if (token.Proofs is { } proofs)
        {
            request.Headers.Remove(DPoPProofs.ProofHeader);
            request.Headers.TryAddWithoutValidation(DPoPProofs.ProofHeader, proofs.Create(request.Method, request.RequestUri!, token.AccessTokenHash));
        }
    }

    /// <summary>A resend: the proof of the first send is spent (its jti), and a bearer token needs none.</summary>
    private static void Reattach(TokenSnapshot token, HttpRequestMessage request)
    {
        request.Headers.Remove(DPoPProofs.ProofHeader);
        Attach(token, request);
    }

    /// <summary>Anything but the hot path: a token that may need waiting for, or one bound to a DPoP key.</summary>
    private async Task<HttpResponseMessage> SendAfterWaitAsync(
        ValueTask<TokenSnapshot> pending, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await pending.ConfigureAwait(false);
        Attach(token, request);
        return await AnswerAsync(token, base.SendAsync(request, cancellationToken), request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> AnswerAsync(
        TokenSnapshot token, Task<HttpResponseMessage> sending, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await sending.ConfigureAwait(false);
        var newNonce = token.Proofs?.RememberNonce(request.RequestUri!, response.Headers) == true;
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        if (newNonce && BearerChallenge.AsksForDPoPNonce(response.Headers))
        {
            return await ResendWithNonceAsync(token, response, request, cancellationToken).ConfigureAwait(false);
        }

        if (!BearerChallenge.AsksForNewToken(response.Headers, token.Header.Scheme))
        {
            _holder.Telemetry.NotResent("not_a_token_problem");
            return response;
        }

        if (request.Options.TryGetValue(Resent, out var resent) && resent)
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

        Log.ResendingAfterUnauthorized(_logger, _holder.ClientName, request.Method.Method);
        _holder.Telemetry.Resent();
        var newer = await GetTokenAfterRejectionAsync(token, response, cancellationToken).ConfigureAwait(false);
        response.Dispose();
        request.Options.Set(Resent, true);
        Reattach(newer, request);
        var second = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        newer.Proofs?.RememberNonce(request.RequestUri!, second.Headers);
        if (second.StatusCode == HttpStatusCode.Unauthorized)
        {
            _holder.Telemetry.NotResent("second_401");
        }

        return second;
    }

    /// <summary>
    /// RFC 9449 9: the API wants its nonce in the proof; the same token goes again with a proof that carries it. This is
    /// the request's one resend: a request already resent, or with a body that cannot be sent again, gets the 401.
    /// </summary>
    private async Task<HttpResponseMessage> ResendWithNonceAsync(
        TokenSnapshot token, HttpResponseMessage response, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if ((request.Options.TryGetValue(Resent, out var resent) && resent) || !CanResendContent(request))
        {
            _holder.Telemetry.NotResent(resent ? "second_401" : "streamed_body");
            return response;
        }

        response.Dispose();
        request.Options.Set(Resent, true);
        Reattach(token, request);
        var second = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        token.Proofs!.RememberNonce(request.RequestUri!, second.Headers);
        return second;
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

    /// <summary>Content that can be sent again: none, or content buffered in memory. A streamed body may be consumed.</summary>
    private static bool CanResendContent(HttpRequestMessage request) =>
        request.Content is null or ByteArrayContent or ReadOnlyMemoryContent or JsonContent;

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
