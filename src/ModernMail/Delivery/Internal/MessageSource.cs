using System.Buffers;

namespace ModernMail.Delivery.Internal;

/// <summary>A message's bytes, readable at any offset by several destinations at once.</summary>
internal sealed class MessageSource : IDisposable
{
    private readonly Stream _stream;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly long _origin;

    private MessageSource(Stream stream, long origin, long length, bool has8Bit, bool headersHave8Bit)
    {
        _stream = stream;
        _origin = origin;
        Length = length;
        Has8Bit = has8Bit;
        HeadersHave8Bit = headersHave8Bit;
    }

    /// <summary>The message length in bytes.</summary>
    public long Length { get; }

    /// <summary>True when a byte has the high bit set (BODY=8BITMIME is needed).</summary>
    public bool Has8Bit { get; }

    /// <summary>True when the header section has a byte with the high bit set: UTF-8 headers (RFC 6532) need SMTPUTF8.</summary>
    public bool HeadersHave8Bit { get; }

    /// <summary>Reads the stream once from its current position to learn its length and whether it is 8-bit.</summary>
    public static async Task<MessageSource> CreateAsync(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek || !stream.CanRead)
        {
            throw new ArgumentException("The message stream must be readable and seekable.", nameof(stream));
        }
        long origin = stream.Position;
        long length = stream.Length - origin;
        bool has8Bit = false;
        bool headers8Bit = false;
        bool inHeaders = true;
        int newlines = 0; // consecutive line ends seen in the header section ("\r\n\r\n" or "\n\n" ends it)
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while (!has8Bit && (read = await stream.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
            {
                var chunk = buffer.AsSpan(0, read);
                int i = 0;
                for (; inHeaders && i < chunk.Length; i++)
                {
                    byte b = chunk[i];
                    if (b == (byte)'\n')
                    {
                        inHeaders = ++newlines < 2;
                    }
                    else if (b != (byte)'\r')
                    {
                        newlines = 0;
                        if (b >= 0x80)
                        {
                            headers8Bit = has8Bit = true;
                        }
                    }
                }
                has8Bit |= chunk[i..].IndexOfAnyInRange((byte)0x80, (byte)0xff) >= 0;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        stream.Position = origin;
        return new MessageSource(stream, origin, length, has8Bit, headers8Bit);
    }

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes at <paramref name="offset"/> from the start of the message.</summary>
    public async ValueTask<int> ReadAtAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (offset >= Length)
        {
            return 0;
        }
        if (buffer.Length > Length - offset)
        {
            buffer = buffer[..(int)(Length - offset)];
        }
        if (_stream is FileStream file)
        {
            return await RandomAccess.ReadAsync(file.SafeFileHandle, buffer, _origin + offset, cancellationToken).ConfigureAwait(false);
        }
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _stream.Position = _origin + offset;
            return await _stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();
}
