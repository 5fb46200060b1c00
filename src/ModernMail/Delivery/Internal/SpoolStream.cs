namespace ModernMail.Delivery.Internal;

/// <summary>A read/write seekable stream that keeps up to a threshold in memory, then moves to a temporary file deleted on close.</summary>
/// <remarks>Lets a message be composed once and read many times (signing, then once per destination) while memory stays flat for large messages.</remarks>
internal sealed class SpoolStream : Stream
{
    /// <summary>The default in-memory limit: 1 MiB.</summary>
    public const int DefaultThreshold = 1024 * 1024;

    private readonly int _threshold;
    private Stream _inner = new PooledBufferStream();

    public SpoolStream(int threshold = DefaultThreshold) => _threshold = threshold;

    /// <summary>True once the content moved to a temporary file.</summary>
    public bool IsFileBacked => _inner is FileStream;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length => _inner.Length;

    public override long Position
    {
        get => _inner.Position;
        set => _inner.Position = value;
    }

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => _inner.Read(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => _inner.Seek(offset, origin);

    public override void SetLength(long value) => _inner.SetLength(value);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_inner is PooledBufferStream memory && memory.Length + buffer.Length > _threshold)
        {
            _inner = MoveToFile(memory);
        }
        _inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_inner is PooledBufferStream memory && memory.Length + buffer.Length > _threshold)
        {
            _inner = MoveToFile(memory);
        }
        await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    private static FileStream MoveToFile(PooledBufferStream memory)
    {
        string path = Path.Combine(Path.GetTempPath(), "modernmail-" + Path.GetRandomFileName());
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        long position = memory.Position;
        memory.CopyAllTo(file);
        file.Position = position;
        memory.Dispose();
        return file;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
