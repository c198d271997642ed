using Microsoft.Extensions.Logging;
using OfflineBearer.Diagnostics;
using OfflineBearer.Options;
using OfflineBearer.Refresh;

namespace OfflineBearer.Caching;

/// <summary>
/// Keeps the access token of one named client for the life of the service provider, shared by every request and every
/// handler instance of that client. Readers take no lock: they read one immutable <see cref="TokenSnapshot"/>. At most
/// one token request is in flight at a time (single flight), and it runs on the holder's own cancellation, so a caller
/// that gives up never cancels the refresh others wait for. A caller whose token is still valid never waits past half
/// its remaining life: a down or slow token server never fails a call that started with a valid token.
/// <para>
/// The hot path reads no clock: until a token's refresh point it is handed out from <c>_fresh</c>, a field a timer
/// clears at that point. Everything after it (background refresh, refresh window, expiry) is decided by the clock.
/// </para>
/// <para>
/// Longer than 250 lines because one lock guards the token, its fresh period and the single flight together; the
/// policies around them are types of their own (<see cref="FailurePause"/>, <see cref="RefreshPointTimer"/>, the
/// token source, the schedule), and splitting the locked state across types would spread the lock with it.
/// </para>
/// </summary>
internal sealed class TokenHolder : ITokenGauges, IDisposable
{
    private readonly string _clientName;
    private readonly OfflineBearerOptions _options;
    private readonly ClientSessions _sessions;
    private readonly FailurePause _pause;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ClientTelemetry _telemetry;
    private readonly double _refreshAtFraction;
    private readonly CancellationTokenSource _disposed = new();
    private readonly CancellationToken _stopping;
    private readonly Lock _gate = new();

    private volatile TokenSnapshot? _current;

    // The current token while it is before its refresh point, else null. Written under _gate; the hot path's one read.
    private volatile TokenSnapshot? _fresh;
    private readonly RefreshPointTimer _freshTimer;
    private volatile TokenHealth _health = TokenHealth.Unknown;

    // Written under _gate; read without it only as a hint that the locked path confirms.
    private volatile Task<TokenSnapshot>? _refresh;
    private long _lastTokenAt;

    // Counts the sessions ended under _gate: a refresh that started in an ended session does not install its token.
    private int _session;

    /// <param name="client">The client, with the options it started with (its timing options are read from them).</param>
    /// <param name="sessions">Where its tokens come from (this process alone, or its fleet), following its reloaded options.</param>
    public TokenHolder(ClientContext client, ClientSessions sessions)
    {
        _clientName = client.Name;
        _options = client.Options;
        _sessions = sessions;
        _telemetry = client.Telemetry;
        _pause = new FailurePause(client.Time);
        _time = client.Time;
        _logger = client.Logger;
        _refreshAtFraction = client.RefreshAtFraction;
        _lastTokenAt = _time.GetTimestamp();
        _stopping = _disposed.Token;
        _freshTimer = new RefreshPointTimer(_time, OnFreshTimer);
    }

    public string ClientName => _clientName;

    /// <summary>The token in hand, if any: for health checks and gauges, never for sending (use <see cref="GetTokenAsync"/>).</summary>
    public TokenSnapshot? Current => _current;

    /// <inheritdoc/>
    public long? ExpiresAt => _current is { ExpiresAt: not long.MaxValue } current ? current.ExpiresAt : null;

    /// <inheritdoc/>
    public long? LastSuccessAt => _health.LastSuccessAt;

    /// <summary>How the last token requests went.</summary>
    public TokenHealth Health => _health;

    /// <summary>Whether it can only refresh (the health check judges a refused refresh token by it).</summary>
    public bool IsPublicClient => _sessions.Current.Redeemer.NeedsRefreshToken;

    /// <summary>The client's sessions, whose current one says who the client is now.</summary>
    public ClientSessions Sessions => _sessions;

    public ClientTelemetry Telemetry => _telemetry;

    /// <summary>Whether the API must be called over https; from the same options as the holder, so the two never disagree.</summary>
    public bool RequireHttps => _options.RequireHttps;

    /// <summary>
    /// A token to send now. Completes synchronously while the cached token is outside its refresh window; before its
    /// refresh point without a lock or a clock read.
    /// </summary>
    public ValueTask<TokenSnapshot> GetTokenAsync(CancellationToken cancellationToken) =>
        _fresh is { } fresh ? new ValueTask<TokenSnapshot>(fresh) : GetTokenByClock(cancellationToken);

    /// <summary>The current token while it is before its refresh point, else null: the hot path's one read, no clock, no lock.</summary>
    public TokenSnapshot? Fresh => _fresh;

    private ValueTask<TokenSnapshot> GetTokenByClock(CancellationToken cancellationToken)
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
                if (_refresh is not { IsCompleted: false } && _pause.AllowsRequest(now, holdsValidToken: true))
                {
                    _ = StartRefresh(current, holdsValidToken: true);
                }

                return new ValueTask<TokenSnapshot>(current);
            }
        }

        _telemetry.Waited();
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
        var idleFor = _time.GetElapsedTime(Volatile.Read(ref _lastTokenAt));
        var current = _current;
        if (idleFor < idle || (current is not null && _sessions.Current.RefreshTokens.Current is null))
        {
            return;
        }

        Log.KeepingAlive(_logger, _clientName, idleFor.TotalHours);
        var refresh = StartRefresh(current, IsUsable(current, rejected: false, _time.GetTimestamp()));
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
    /// The client became another one (reloaded options name another Authority, ClientId or grant): the token in hand is
    /// the old client's, so it is dropped and the next call gets one from the new session. A refresh in flight still
    /// answers the callers that join it (single flight is kept: one session is built at a time) but its token is not kept.
    /// </summary>
    public void EndSession()
    {
        lock (_gate)
        {
            _session++;
            _current = null;
            _fresh = null;
        }
    }

    /// <summary>
    /// Stops a token request in flight. The source is cancelled, not disposed, so a client that outlives its provider
    /// gets an error, never an <see cref="ObjectDisposedException"/> from inside the holder.
    /// </summary>
    public void Dispose()
    {
        _disposed.Cancel();
        lock (_gate)
        {
            _freshTimer.Dispose();
        }
    }

    private async Task<TokenSnapshot> WaitForTokenAsync(TokenSnapshot? seen, bool rejected, CancellationToken cancellationToken)
    {
        var now = _time.GetTimestamp();
        var usable = IsUsable(seen, rejected, now);
        var refresh = StartRefresh(seen, usable);
        if (!usable)
        {
            return await refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await refresh.WaitAsync(seen!.PatienceAt(now, _options.TokenRequestAttemptTimeout, _time), _time, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is OfflineBearerException or TimeoutException)
        {
            // A failed or slow refresh never takes away a token that has not expired: it is sent and the API judges it.
            return seen!;
        }
    }

    /// <summary>Whether <paramref name="token"/> may still be sent: the API has not refused it and it has not expired.</summary>
    private static bool IsUsable(TokenSnapshot? token, bool rejected, long now) => !rejected && token is not null && !token.IsExpired(now);

    /// <summary>Joins the token request in flight, or starts one unless a newer token exists or the pause says not yet.</summary>
    private Task<TokenSnapshot> StartRefresh(TokenSnapshot? seen, bool holdsValidToken)
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
            if (_refresh is { IsFaulted: true } failed && !_pause.AllowsRequest(_time.GetTimestamp(), holdsValidToken))
            {
                _telemetry.Paused();
                return failed;
            }

            var refresh = RefreshAsync(holdsValidToken ? seen!.ExpiresAt : long.MinValue);
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

    /// <param name="validUntil">When the token the starter holds expires; in the past when it holds none it may send.</param>
    private async Task<TokenSnapshot> RefreshAsync(long validUntil)
    {
        // Leave the caller's lock, thread and synchronization context: the request runs on its own, whoever started it.
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);

        var sentAt = _time.GetTimestamp();
        // Written under _gate; a refresh that starts just as a session ends belongs to the old one either way.
        var session = Volatile.Read(ref _session);

        // The one time limit of a refresh, around everything it does (discovery, the grant with its retries, a
        // fall-back grant, the store's read), so no caller waits past TokenRequestTimeout, whatever the path.
        using var limit = new CancellationTokenSource(_options.TokenRequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, _stopping);
        try
        {
            var result = await _sessions.GetTokenAsync(validUntil, linked.Token).ConfigureAwait(false);
            var snapshot = TokenSnapshot.Create(
                result.AccessToken, result.Lifetime, result.SentAt, _options.RefreshBeforeExpiry, _refreshAtFraction, _time, result.Proofs);
            lock (_gate)
            {
                if (session != _session)
                {
                    return snapshot;
                }

                _current = snapshot;
                _fresh = snapshot;
                KeepFreshUntilRefreshPoint();
                _pause.Reset();
                _health = _health with { LastSuccessAt = _time.GetTimestamp() };
                Volatile.Write(ref _lastTokenAt, sentAt);
            }

            // An adopted token was logged as such (event 8); event 1 counts tokens this replica asked the server for.
            if (!result.Adopted)
            {
                Log.TokenAcquired(_logger, _clientName, result.Grant!, result.Lifetime?.TotalSeconds, result.Scope, result.RefreshTokenIssued);
            }
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
            var (withToken, withoutToken) = _pause.Record(failure);
            _health = _health with { LastFailure = failure, LastFailureAt = _time.GetTimestamp() };
            Log.TokenRequestFailed(_logger, _clientName, failure.Error, (int?)failure.StatusCode, failure);
            Log.Pausing(_logger, _clientName, withToken.TotalSeconds, withoutToken.TotalSeconds, FailurePause.IsRefusal(failure));
            if (!ReferenceEquals(failure, e))
            {
                throw failure;
            }

            throw;
        }
    }

    private void OnFreshTimer()
    {
        lock (_gate)
        {
            KeepFreshUntilRefreshPoint();
        }
    }

    /// <summary>
    /// Under <see cref="_gate"/>: ends the fresh period of <see cref="_fresh"/> if its refresh point has come, else sets
    /// the timer for it. A timer may run late, never early; a late one keeps a token on the hot path past its refresh point,
    /// which is at least the refresh window before it expires, and the API's 401 still gets a new one.
    /// </summary>
    private void KeepFreshUntilRefreshPoint()
    {
        if (_fresh is { } fresh && fresh.RefreshAt != long.MaxValue && !_stopping.IsCancellationRequested && !_freshTimer.TryArm(fresh.RefreshAt))
        {
            _fresh = null;
        }
    }
}
