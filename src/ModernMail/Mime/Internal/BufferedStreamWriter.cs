using System.Buffers;
using System.Text.Unicode;

namespace ModernMail.Mime.Internal;

/// <summary>A small pooled write buffer over a <see cref="Stream"/>; encoders write into <see cref="GetSpan"/>.</summary>
internal sealed class BufferedStreamWriter : IDisposable
{
    /// <summary>The buffer size: large enough for whole base64 and QP runs, small enough to stay out of the LOH.</summary>
    public const int BufferSize = 16 * 1024;

    private readonly Stream _stream;
    private byte[]? _buffer;
    private int _count;

    // The last two bytes written, kept across flushes.
    private byte _last;
    private byte _beforeLast;

    /// <summary>Creates a writer over <paramref name="stream"/>.</summary>
    public BufferedStreamWriter(Stream stream)
    {
        _stream = stream;
        _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    }

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(BufferedStreamWriter));

    /// <summary>The free part of the buffer.</summary>
    public Span<byte> GetSpan() => Buffer.AsSpan(_count);

    /// <summary>Whether everything written so far ends with CRLF (false when nothing was written).</summary>
    public bool EndsWithLineBreak => _beforeLast == (byte)'\r' && _last == (byte)'\n';

    /// <summary>Marks <paramref name="count"/> bytes of <see cref="GetSpan"/> as written.</summary>
    public void Advance(int count)
    {
        _count += count;
        Track(Buffer.AsSpan(_count - count, count));
    }

    /// <summary>Writes the buffered bytes to the stream.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_count > 0)
        {
            await _stream.WriteAsync(Buffer.AsMemory(0, _count), cancellationToken).ConfigureAwait(false);
            _count = 0;
        }
    }

    /// <summary>Copies <paramref name="data"/> into the buffer, flushing as it fills.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int n = Math.Min(data.Length, Buffer.Length - _count);
            if (n == 0)
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            data.Span[..n].CopyTo(Buffer.AsSpan(_count));
            _count += n;
            Track(data.Span[..n]);
            data = data[n..];
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (header text is ASCII except for RFC 6532 addresses).</summary>
    public async ValueTask WriteAsync(string text, CancellationToken cancellationToken)
    {
        int position = 0;
        while (position < text.Length)
        {
            Utf8.FromUtf16(text.AsSpan(position), Buffer.AsSpan(_count), out int read, out int written);
            position += read;
            _count += written;
            Track(Buffer.AsSpan(_count - written, written));
            if (position < text.Length)
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void Track(ReadOnlySpan<byte> written)
    {
        if (written.Length >= 2)
        {
            _beforeLast = written[^2];
            _last = written[^1];
        }
        else if (written.Length == 1)
        {
            _beforeLast = _last;
            _last = written[0];
        }
    }

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
