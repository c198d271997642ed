using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using OfflineBearer.Diagnostics;

namespace OfflineBearer.Internal;

/// <summary>
/// Attaches the client's bearer token to each request and, when the API answers 401 because of the token, sends the
/// request once more with a new one. Everything about tokens is the holder's business.
/// </summary>
internal sealed class OfflineBearerHandler : DelegatingHandler
{
    /// <summary>Marks a request that was already resent, so that no handler pipeline ever resends it twice.</summary>
    internal static readonly HttpRequestOptionsKey<bool> Resent = new("OfflineBearer.Resent");

    private readonly TokenHolder _holder;
    private readonly ILogger _logger;

    public OfflineBearerHandler(TokenHolder holder, ILogger logger)
    {
        _holder = holder;
        _logger = logger;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        EnsureTransportAllowed(request);
        var token = _holder.GetTokenAsync(cancellationToken);
        return token.IsCompletedSuccessfully
            ? SendWith(token.Result, request, cancellationToken)
            : SendAfterWaitAsync(token, request, cancellationToken);
    }

    /// <summary>
    /// The hot path: no async state machine. An answer that is already complete and not a 401 is the caller's as it is;
    /// anything else is awaited by <see cref="AnswerAsync"/>.
    /// </summary>
    private Task<HttpResponseMessage> SendWith(TokenSnapshot token, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = token.Header;
        var sending = base.SendAsync(request, cancellationToken);
        return sending.IsCompletedSuccessfully && sending.Result.StatusCode != HttpStatusCode.Unauthorized
            ? sending
            : AnswerAsync(token, sending, request, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAfterWaitAsync(
        ValueTask<TokenSnapshot> token, HttpRequestMessage request, CancellationToken cancellationToken) =>
        await SendWith(await token.ConfigureAwait(false), request, cancellationToken).ConfigureAwait(false);

    private async Task<HttpResponseMessage> AnswerAsync(
        TokenSnapshot token, Task<HttpResponseMessage> sending, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await sending.ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        if (!BearerChallenge.AsksForNewToken(response.Headers))
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
        request.Headers.Authorization = newer.Header;
        var second = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (second.StatusCode == HttpStatusCode.Unauthorized)
        {
            _holder.Telemetry.NotResent("second_401");
        }

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
        if (_holder.RequireHttps && request.RequestUri is { IsAbsoluteUri: true } uri && !Transport.IsAllowed(uri))
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
