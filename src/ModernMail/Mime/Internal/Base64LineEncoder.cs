using System.Buffers;
using System.Buffers.Text;

namespace ModernMail.Mime.Internal;

/// <summary>Base64 with 76-character lines ending in CRLF (RFC 2045 §6.8), streaming.</summary>
internal sealed class Base64LineEncoder : IStreamingEncoder
{
    // 57 input bytes make exactly one 76-character line.
    private const int BytesPerLine = 57;
    private const int LineLength = 78;

    private readonly byte[] _pending = new byte[BytesPerLine];
    private int _pendingCount;

    /// <summary>The output length for <paramref name="length"/> input bytes, line breaks included.</summary>
    public static int GetMaxEncodedLength(int length)
    {
        int lines = (length + BytesPerLine - 1) / BytesPerLine;
        return checked(Base64.GetMaxEncodedToUtf8Length(length) + (lines * 2));
    }

    /// <inheritdoc/>
    public void Reset() => _pendingCount = 0;

    /// <inheritdoc/>
    public OperationStatus Encode(ReadOnlySpan<byte> source, Span<byte> destination, out int consumed, out int written, bool isFinal)
    {
        int i = 0, o = 0;
        while (true)
        {
            if (_pendingCount == BytesPerLine)
            {
                if (destination.Length - o < LineLength)
                {
                    consumed = i;
                    written = o;
                    return OperationStatus.DestinationTooSmall;
                }

                o += WriteLine(_pending, destination[o..]);
                _pendingCount = 0;
            }

            if (_pendingCount > 0)
            {
                int take = Math.Min(BytesPerLine - _pendingCount, source.Length - i);
                source.Slice(i, take).CopyTo(_pending.AsSpan(_pendingCount));
                _pendingCount += take;
                i += take;
                if (_pendingCount < BytesPerLine)
                {
                    break;
                }

                continue;
            }

            // Fast path: whole lines straight from the source.
            while (source.Length - i >= BytesPerLine && destination.Length - o >= LineLength)
            {
                o += WriteLine(source.Slice(i, BytesPerLine), destination[o..]);
                i += BytesPerLine;
            }

            if (source.Length - i >= BytesPerLine)
            {
                consumed = i;
                written = o;
                return OperationStatus.DestinationTooSmall;
            }

            source[i..].CopyTo(_pending);
            _pendingCount = source.Length - i;
            i = source.Length;
            break;
        }

        if (!isFinal)
        {
            consumed = i;
            written = o;
            return OperationStatus.NeedMoreData;
        }

        if (_pendingCount > 0)
        {
            if (destination.Length - o < LineLength)
            {
                consumed = i;
                written = o;
                return OperationStatus.DestinationTooSmall;
            }

            o += WriteLine(_pending.AsSpan(0, _pendingCount), destination[o..]);
            _pendingCount = 0;
        }

        consumed = i;
        written = o;
        return OperationStatus.Done;
    }

    private static int WriteLine(ReadOnlySpan<byte> line, Span<byte> destination)
    {
        Base64.EncodeToUtf8(line, destination, out _, out int n);
        destination[n] = (byte)'\r';
        destination[n + 1] = (byte)'\n';
        return n + 2;
    }
}
