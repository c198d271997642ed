using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.TokenEndpoint;

/// <summary>
/// A token answer whose body breaks halfway (#11: the body is read into a pooled array): the reading fails as the
/// error it is, not as a half body parsed, and the next request after the pause works.
/// </summary>
public sealed class BrokenBodyTests
{
    [Fact]
    public async Task A_body_that_breaks_halfway_fails_the_token_request_with_the_break_and_the_next_one_succeeds()
    {
        using var harness = new Harness(userDefaults: true);
        var broken = true;
        harness.OnToken = _ => Task.FromResult(broken
            ? new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StreamContent(new BreaksAfterFirstBytes()) { Headers = { ContentType = new("application/json") } } }
            : Harness.Json(TokenJson.Success(harness.IssueJwt(TimeSpan.FromMinutes(5)))));
        using var client = harness.CreateClient();

        var error = await Assert.ThrowsAsync<OfflineBearerException>(() => client.GetAsync("items"));
        broken = false;
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        using var response = await client.GetAsync("items");

        Assert.Contains(nameof(IOException), error.Message, StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    private sealed class BreaksAfterFirstBytes : Stream
    {
        private bool _sentFirstBytes;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_sentFirstBytes)
            {
                throw new IOException("The connection broke.");
            }

            _sentFirstBytes = true;
            "{\"access_token\":\"abc\"}"u8.CopyTo(buffer.Span);
            return ValueTask.FromResult(22);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
