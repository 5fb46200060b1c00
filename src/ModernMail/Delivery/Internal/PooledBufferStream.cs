using System.Buffers;

namespace ModernMail.Delivery.Internal;

/// <summary>A seekable in-memory stream over 64 KiB chunks rented from <see cref="ArrayPool{T}"/>: no regrowth copies, no large-object-heap arrays.</summary>
internal sealed class PooledBufferStream : Stream
{
    private const int ChunkSize = 64 * 1024;
    private readonly List<byte[]> _chunks = [];
    private long _length;
    private long _position;
    private bool _disposed;

    public override bool CanRead => !_disposed;

    public override bool CanSeek => !_disposed;

    public override bool CanWrite => !_disposed;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int total = 0;
        while (buffer.Length > 0 && _position < _length)
        {
            int chunk = (int)(_position / ChunkSize);
            int offset = (int)(_position % ChunkSize);
            int n = (int)Math.Min(Math.Min(buffer.Length, ChunkSize - offset), _length - _position);
            _chunks[chunk].AsSpan(offset, n).CopyTo(buffer);
            buffer = buffer[n..];
            _position += n;
            total += n;
        }
        return total;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (buffer.Length > 0)
        {
            int chunk = (int)(_position / ChunkSize);
            int offset = (int)(_position % ChunkSize);
            while (_chunks.Count <= chunk)
            {
                _chunks.Add(ArrayPool<byte>.Shared.Rent(ChunkSize));
            }
            int n = Math.Min(buffer.Length, ChunkSize - offset);
            buffer[..n].CopyTo(_chunks[chunk].AsSpan(offset));
            buffer = buffer[n..];
            _position += n;
            _length = Math.Max(_length, _position);
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => _length + offset,
        };
        return _position;
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Copies the whole content to <paramref name="destination"/> (regardless of the position).</summary>
    public void CopyAllTo(Stream destination)
    {
        long remaining = _length;
        foreach (byte[] chunk in _chunks)
        {
            int n = (int)Math.Min(ChunkSize, remaining);
            destination.Write(chunk, 0, n);
            remaining -= n;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            foreach (byte[] chunk in _chunks)
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }
            _chunks.Clear();
        }
        base.Dispose(disposing);
    }
}
