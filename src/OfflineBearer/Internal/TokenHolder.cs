using Microsoft.Extensions.Logging;
using OfflineBearer.Diagnostics;

namespace OfflineBearer.Internal;

/// <summary>
/// Keeps the access token and refresh token of one named client for the life of the service provider, shared by every
/// request and every handler instance of that client. Readers take no lock: they read one immutable
/// <see cref="TokenSnapshot"/>. At most one token request is in flight at a time (single flight), and it runs on the
/// holder's own cancellation, so a caller that gives up never cancels the refresh others wait for.
/// </summary>
internal sealed class TokenHolder : IDisposable
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(30);

    /// <summary>After the server refused (an OAuth error), asking again soon would only repeat the answer.</summary>
    private static readonly TimeSpan RefusedPause = TimeSpan.FromMinutes(5);

    private readonly string _clientName;
    private readonly OfflineBearerOptions _options;
    private readonly TokenEndpointClient _endpoint;
    private readonly IRefreshTokenStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly double _refreshAtFraction;
    private readonly CancellationTokenSource _disposed = new();
    private readonly CancellationToken _stopping;
    private readonly Lock _gate = new();

    private volatile TokenSnapshot? _current;

    // Written under _gate; read without it only as a hint that the locked path confirms.
    private volatile Task<TokenSnapshot>? _refresh;
    private long _retryAt;
    private int _failuresInARow;

    // Touched only by the one token request in flight (keep-alive reads them as a hint).
    private string? _refreshToken;
    private bool _refreshTokenLoaded;
    private bool _refreshTokenUnsaved;
    private long _lastTokenAt;

    public TokenHolder(
        string clientName,
        OfflineBearerOptions options,
        TokenEndpointClient endpoint,
        IRefreshTokenStore store,
        TimeProvider time,
        ILogger logger,
        double refreshAtFraction)
    {
        _clientName = clientName;
        _options = options;
        _endpoint = endpoint;
        _store = store;
        _time = time;
        _logger = logger;
        _refreshAtFraction = refreshAtFraction;
        _lastTokenAt = time.GetTimestamp();
        _stopping = _disposed.Token;
    }

    public string ClientName => _clientName;

    /// <summary>A token to send now. Completes synchronously while the cached token is outside its refresh window.</summary>
    public ValueTask<TokenSnapshot> GetTokenAsync(CancellationToken cancellationToken)
    {
        var current = _current;
        if (current is not null)
        {
            var now = _time.GetTimestamp();
            if (now < current.RefreshAt)
            {
                return new ValueTask<TokenSnapshot>(current);
            }

            if (now < current.MustRefreshAt)
            {
                if (now >= Volatile.Read(ref _retryAt) && _refresh is not { IsCompleted: false })
                {
                    _ = StartRefresh(current);
                }

                return new ValueTask<TokenSnapshot>(current);
            }
        }

        return new ValueTask<TokenSnapshot>(WaitForTokenAsync(current, rejected: false, cancellationToken));
    }

    /// <summary>
    /// A token to resend with after the API refused <paramref name="rejected"/>. If a newer token is already in hand it
    /// is used without another request, so a burst of 401s for one token costs one refresh.
    /// </summary>
    public Task<TokenSnapshot> GetTokenAfterRejectionAsync(TokenSnapshot rejected, CancellationToken cancellationToken) =>
        WaitForTokenAsync(rejected, rejected: true, cancellationToken);

    /// <summary>
    /// Refreshes once if no token was got for <paramref name="idle"/>, so an offline session that dies when unused
    /// (30 days on Keycloak) stays alive without traffic. A client that only runs client_credentials has nothing to keep.
    /// </summary>
    public async Task KeepAliveAsync(TimeSpan idle, CancellationToken cancellationToken)
    {
        if (_time.GetElapsedTime(Volatile.Read(ref _lastTokenAt)) < idle || (_current is not null && _refreshToken is null))
        {
            return;
        }

        var refresh = StartRefresh(_current);
        try
        {
            await refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OfflineBearerException)
        {
            // Recorded and logged by the refresh; the next check tries again. One client's failure never stops the host.
        }
    }

    /// <summary>
    /// Stops a token request in flight. The source is cancelled, not disposed, so a client that outlives its provider
    /// gets an error, never an <see cref="ObjectDisposedException"/> from inside the holder.
    /// </summary>
    public void Dispose() => _disposed.Cancel();

    private async Task<TokenSnapshot> WaitForTokenAsync(TokenSnapshot? seen, bool rejected, CancellationToken cancellationToken)
    {
        var refresh = StartRefresh(seen);
        var stillValid = !rejected && seen is not null && !seen.IsExpired(_time.GetTimestamp());
        if (!stillValid)
        {
            return await refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            // Worth one try's wait, never the whole retry budget: the current token still works.
            return await refresh.WaitAsync(_options.TokenRequestAttemptTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OfflineBearerException or TimeoutException)
        {
            // A failed or slow refresh never takes away a token that has not expired: it is sent and the API judges it.
            return seen!;
        }
    }

    /// <summary>Joins the token request in flight, or starts one unless a newer token exists or the last one failed recently.</summary>
    private Task<TokenSnapshot> StartRefresh(TokenSnapshot? seen)
    {
        lock (_gate)
        {
            if (_current is { } current && current != seen)
            {
                return Task.FromResult(current);
            }

            if (_refresh is { IsCompleted: false } running)
            {
                return running;
            }

            // During the pause after a failure, callers get that failure again (the failed task, already observed).
            if (_refresh is { IsFaulted: true } failed && _time.GetTimestamp() < _retryAt)
            {
                return failed;
            }

            var refresh = RefreshAsync();
            _refresh = refresh;

            // Whoever started it may stop waiting (cancelled, timed out, background); its outcome is recorded and
            // logged, so observing it here keeps an abandoned failure from surfacing as UnobservedTaskException.
            _ = refresh.ContinueWith(
                static task => _ = task.Exception,
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            return refresh;
        }
    }

    private async Task<TokenSnapshot> RefreshAsync()
    {
        // Leave the caller's lock, thread and synchronization context: the request runs on its own, whoever started it.
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);

        var sentAt = _time.GetTimestamp();

        // One limit for everything a refresh does (discovery, the grant, a fall-back grant, the store's read), so no
        // caller waits past TokenRequestTimeout, whatever the path.
        using var limit = new CancellationTokenSource(_options.TokenRequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, _stopping);
        try
        {
            var (response, grant) = await RequestAsync(linked.Token).ConfigureAwait(false);
            var lifetime = TokenLifetime.Read(response.AccessToken!, response.ExpiresIn, _time.GetUtcNow());
            var snapshot = CreateSnapshot(response.AccessToken!, lifetime, sentAt);
            lock (_gate)
            {
                _current = snapshot;
                _failuresInARow = 0;
                Volatile.Write(ref _retryAt, 0);
                Volatile.Write(ref _lastTokenAt, sentAt);
            }

            Log.TokenAcquired(_logger, _clientName, grant, lifetime?.TotalSeconds, response.Scope, response.RefreshToken is not null);
            return snapshot;
        }
        catch (Exception e) when (!_stopping.IsCancellationRequested)
        {
            // Whatever went wrong (the endpoint, a user's store, the time limit) reaches callers as the typed error
            // and starts the pause, so a fault that is not ours cannot make every request start a new refresh.
            var failure = e as OfflineBearerException ?? new OfflineBearerException(
                e is OperationCanceledException
                    ? $"OfflineBearer client '{_clientName}' got no token within TokenRequestTimeout ({_options.TokenRequestTimeout})."
                    : $"OfflineBearer client '{_clientName}' could not get a token: {e.GetType().Name}.",
                e);
            lock (_gate)
            {
                _failuresInARow++;
                Volatile.Write(ref _retryAt, _time.GetTimestamp() + ToTimestamp(PauseAfter(failure)));
            }

            Log.TokenRequestFailed(_logger, _clientName, failure.Error, (int?)failure.StatusCode, failure);
            if (ReferenceEquals(failure, e))
            {
                throw;
            }

            throw failure;
        }
    }

    /// <summary>
    /// With a refresh token, the refresh grant; else client_credentials. A new refresh token is stored before the access
    /// token that came with it is used; a response without one keeps the old.
    /// </summary>
    private async Task<(TokenResponse Response, string Grant)> RequestAsync(CancellationToken cancellationToken)
    {
        var refreshToken = await GetRefreshTokenAsync(cancellationToken).ConfigureAwait(false);
        if (refreshToken is null)
        {
            return (await ClientCredentialsAsync(cancellationToken).ConfigureAwait(false), GrantTypes.ClientCredentials);
        }

        TokenResponse response;
        try
        {
            response = await _endpoint.RequestAsync(refreshToken, cancellationToken).ConfigureAwait(false);
        }
        catch (OfflineBearerException e) when (e.Error == "invalid_grant" && !_endpoint.IsPublicClient)
        {
            // The offline session is gone, but a confidential client can start a new one: once, right now.
            Log.FallingBackToClientCredentials(_logger, _clientName, e.ErrorDescription);
            _refreshToken = null;
            return (await ClientCredentialsAsync(cancellationToken).ConfigureAwait(false), GrantTypes.ClientCredentials);
        }

        await KeepRefreshTokenAsync(response.RefreshToken).ConfigureAwait(false);
        return (response, GrantTypes.RefreshToken);
    }

    private async Task<TokenResponse> ClientCredentialsAsync(CancellationToken cancellationToken)
    {
        var response = await _endpoint.RequestAsync(refreshToken: null, cancellationToken).ConfigureAwait(false);
        await KeepRefreshTokenAsync(response.RefreshToken).ConfigureAwait(false);
        return response;
    }

    /// <summary>
    /// The refresh token to use: read from the store once (it wins over the configured one, which may have been
    /// rotated away since), and a token whose storing failed is stored before it is used again.
    /// </summary>
    private async ValueTask<string?> GetRefreshTokenAsync(CancellationToken cancellationToken)
    {
        if (!_refreshTokenLoaded)
        {
            var stored = await _store.GetAsync(_clientName, cancellationToken).ConfigureAwait(false);
            _refreshToken = stored ?? (string.IsNullOrEmpty(_options.RefreshToken) ? null : _options.RefreshToken);
            _refreshTokenLoaded = true;
        }

        if (_refreshTokenUnsaved && _refreshToken is { } unsaved)
        {
            await StoreAsync(unsaved).ConfigureAwait(false);
        }

        return _refreshToken;
    }

    /// <summary>A new refresh token replaces the old in memory at once, so nothing ever goes back to the older one.</summary>
    private async ValueTask KeepRefreshTokenAsync(string? newRefreshToken)
    {
        if (newRefreshToken is null || newRefreshToken == _refreshToken)
        {
            return;
        }

        _refreshToken = newRefreshToken;
        _refreshTokenUnsaved = true;
        await StoreAsync(newRefreshToken).ConfigureAwait(false);
    }

    private async ValueTask StoreAsync(string refreshToken)
    {
        try
        {
            // Never cancelled: once the server has rotated the token, losing the new one (shutdown, time limit) would
            // leave only a spent one behind.
            await _store.SetAsync(_clientName, refreshToken, CancellationToken.None).ConfigureAwait(false);
            _refreshTokenUnsaved = false;
        }
        catch (Exception e)
        {
            throw new OfflineBearerException(
                $"OfflineBearer client '{_clientName}' got a new refresh token but could not store it ({e.GetType().Name}). " +
                "It is kept in memory and stored again on the next attempt.",
                e);
        }
    }

    private TokenSnapshot CreateSnapshot(string accessToken, TimeSpan? lifetime, long sentAt)
    {
        if (lifetime is not { } life)
        {
            return new TokenSnapshot(accessToken, long.MaxValue, long.MaxValue, long.MaxValue);
        }

        // The window is clamped to half the lifetime, so a 60-second token is not refreshed on every call.
        var window = _options.RefreshBeforeExpiry < life / 2 ? _options.RefreshBeforeExpiry : life / 2;
        var expiresAt = sentAt + ToTimestamp(life);
        var mustRefreshAt = sentAt + ToTimestamp(life - window);
        var refreshAt = Math.Min(sentAt + ToTimestamp(life * _refreshAtFraction), mustRefreshAt);
        return new TokenSnapshot(accessToken, refreshAt, mustRefreshAt, expiresAt);
    }

    private TimeSpan PauseAfter(OfflineBearerException failure)
    {
        // A refusal (an OAuth error in a 4xx answer) will be repeated; a 5xx, 408 or 429 is trouble that passes.
        if (failure.Error is not null && (int?)failure.StatusCode is >= 400 and < 500 and not 408 and not 429)
        {
            return RefusedPause;
        }

        var pause = FirstPause * Math.Pow(2, Math.Min(_failuresInARow - 1, 10));
        return pause < LongestPause ? pause : LongestPause;
    }

    private long ToTimestamp(TimeSpan duration) =>
        (long)(duration.Ticks * ((double)_time.TimestampFrequency / TimeSpan.TicksPerSecond));
}
