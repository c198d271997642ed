using System.Net;
using System.Threading.Channels;

namespace OfflineBearer.IntegrationTests.Support;

/// <summary>
/// In front of a client (the library's token-endpoint client, say): once <see cref="Close"/>d, sends wait until
/// <see cref="Open"/>, and the status of every answer from then on is kept in order for <see cref="AnswersAsync"/>.
/// </summary>
internal sealed class SendGate : DelegatingHandler
{
    private TaskCompletionSource _open = Opened();
    private TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Channel<HttpStatusCode> _answers = Channel.CreateUnbounded<HttpStatusCode>();

    /// <summary>Completes when a send is waiting at the closed gate.</summary>
    public Task Held => _held.Task;

    public void Close()
    {
        _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _answers = Channel.CreateUnbounded<HttpStatusCode>();
        _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Open() => _open.TrySetResult();

    /// <summary>
    /// The statuses of the first <paramref name="count"/> answers since the gate closed, or of those that came within
    /// <paramref name="patience"/> (real time: a send that never comes is what a failing test shows).
    /// </summary>
    public async Task<HttpStatusCode[]> AnswersAsync(int count, TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        var answers = new List<HttpStatusCode>();
        try
        {
            while (answers.Count < count)
            {
                answers.Add(await _answers.Reader.ReadAsync(timeout.Token));
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            // Fewer answers than asked for.
        }

        return [.. answers];
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var (open, answers) = (_open.Task, _answers);
        if (!open.IsCompleted)
        {
            _held.TrySetResult();
        }

        await open.WaitAsync(cancellationToken);
        var response = await base.SendAsync(request, cancellationToken);
        answers.Writer.TryWrite(response.StatusCode);
        return response;
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }
}
