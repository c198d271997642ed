using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>
/// Sits in front of one replica's token endpoint (<see cref="Replica.AtTokenEndpoint"/>): records every refresh token
/// the replica redeems, can drop the new refresh token from the server's answers (a server that sends none), can answer
/// 503 in the server's place, and can hold an answer back after the server gave it, until the test releases it.
/// </summary>
internal sealed class TokenEndpointSpy : DelegatingHandler
{
    private readonly ConcurrentQueue<string> _redeemed = new();
    private readonly TaskCompletionSource _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _hold;
    private volatile bool _withoutRefreshToken;
    private volatile bool _unavailable;
    private volatile bool _dead;

    /// <summary>The refresh tokens redeemed so far, in order.</summary>
    public IReadOnlyList<string> Redeemed => [.. _redeemed];

    /// <summary>From now on, answers lose their <c>refresh_token</c>.</summary>
    public bool AnswerWithoutRefreshToken
    {
        get => _withoutRefreshToken;
        set => _withoutRefreshToken = value;
    }

    /// <summary>The <c>Retry-After</c> of an <see cref="Unavailable"/> answer: the replica's next retry is this far away.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>
    /// From now on, token requests never reach the server: each is answered 503 with <see cref="RetryAfter"/>, which a
    /// refresh grant is retried after (the server said it did not process it).
    /// </summary>
    public bool Unavailable
    {
        get => _unavailable;
        set => _unavailable = value;
    }

    /// <summary>Completes when a held answer has come from the server (the refresh token it redeemed is spent).</summary>
    public Task Answered => _answered.Task;

    /// <summary>Holds the next token answers until <see cref="Release"/>.</summary>
    public void Hold() => _hold = true;

    /// <summary>
    /// The next token request reaches the server and is processed, then the replica dies: the answer never comes back,
    /// whatever cancels the request. <see cref="Answered"/> completes at that moment.
    /// </summary>
    public void Die() => _dead = true;

    public void Release()
    {
        _hold = false;
        _released.TrySetResult();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method != HttpMethod.Post || request.Content is null)
        {
            return await base.SendAsync(request, cancellationToken);
        }

        if (_unavailable)
        {
            return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
            {
                Headers = { RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(RetryAfter) },
                RequestMessage = request,
            };
        }

        var form = Form(await request.Content.ReadAsStringAsync(cancellationToken));
        if (form.GetValueOrDefault("grant_type") == "refresh_token" && form.TryGetValue("refresh_token", out var refreshToken))
        {
            _redeemed.Enqueue(refreshToken);
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (_withoutRefreshToken && response.StatusCode == HttpStatusCode.OK)
        {
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))!.AsObject();
            body.Remove("refresh_token");
            var stripped = new HttpResponseMessage(response.StatusCode)
            {
                Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
                RequestMessage = request,
            };
            response.Dispose();
            response = stripped;
        }

        if (_dead)
        {
            _answered.TrySetResult();
            await new TaskCompletionSource().Task;
        }

        if (_hold)
        {
            _answered.TrySetResult();
            await _released.Task.WaitAsync(cancellationToken);
        }

        return response;
    }

    private static Dictionary<string, string> Form(string body) => body
        .Split('&', StringSplitOptions.RemoveEmptyEntries)
        .Select(pair => pair.Split('=', 2))
        .ToDictionary(pair => WebUtility.UrlDecode(pair[0]), pair => WebUtility.UrlDecode(pair.Length > 1 ? pair[1] : ""), StringComparer.Ordinal);
}
