namespace OfflineBearer.Tests.Support;

/// <summary>A response body that sends its first bytes and then stalls, as a dying connection does, until the reader gives up.</summary>
internal sealed class StalledStream : Stream
{
    private bool _sentFirstBytes;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public static HttpContent AsJsonContent() =>
        new StreamContent(new StalledStream()) { Headers = { ContentType = new("application/json") } };

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_sentFirstBytes)
        {
            _sentFirstBytes = true;
            var first = "{\"access_token\":\""u8;
            first.CopyTo(buffer.Span);
            return first.Length;
        }

        await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        return 0;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Read asynchronously.");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
