using System.Globalization;

namespace OfflineBearer.Benchmarks.Modes;

/// <summary>
/// The token server and protected API of one storm, in memory. A token request waits <see cref="Latency"/> (real
/// time) and then issues the next token, which becomes the only one the API accepts; <see cref="RefuseCurrentToken"/>
/// plays the API's side of an expiry or a revocation (the token in hand is refused from then on). It counts token
/// requests and the API's refusals.
/// </summary>
internal sealed class StormServer
{
    /// <summary>How long the token endpoint takes to answer.</summary>
    public static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(20);

    /// <summary>The lifetime stated in <c>expires_in</c>.</summary>
    public static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromMinutes(10);

    private readonly Lock _gate = new();
    private int _serial;
    private string? _accepted;
    private int _tokenRequests;
    private int _refusals;

    public int TokenRequests => Volatile.Read(ref _tokenRequests);

    public int Refusals => Volatile.Read(ref _refusals);

    /// <summary>A token issued outside any count, as a login before the storm hands it to a client.</summary>
    public string IssueDirectly() => Issue();

    /// <summary>From now on the API refuses the token it accepted until now (expired or revoked).</summary>
    public void RefuseCurrentToken()
    {
        lock (_gate)
        {
            _accepted = null;
        }
    }

    public void ResetCounts()
    {
        Volatile.Write(ref _tokenRequests, 0);
        Volatile.Write(ref _refusals, 0);
    }

    /// <summary>The token endpoint: counts, waits, issues the next token (with a refresh token) as a JSON body.</summary>
    public async Task<string> AnswerTokenRequestAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _tokenRequests);
        await Task.Delay(Latency, cancellationToken);
        var token = Issue();
        return string.Create(
            CultureInfo.InvariantCulture,
            $$"""{"access_token":"{{token}}","token_type":"Bearer","expires_in":{{(long)AccessTokenLifetime.TotalSeconds}},"refresh_token":"refresh-{{token}}"}""");
    }

    /// <summary>The API: only the newest token that was not refused; every refusal is counted.</summary>
    public bool Accepts(string? bearerToken)
    {
        if (bearerToken is not null && bearerToken == Volatile.Read(ref _accepted))
        {
            return true;
        }

        Interlocked.Increment(ref _refusals);
        return false;
    }

    private string Issue()
    {
        lock (_gate)
        {
            _serial++;
            var token = string.Create(CultureInfo.InvariantCulture, $"storm-token-{_serial}");
            Volatile.Write(ref _accepted, token);
            return token;
        }
    }
}
