using System.Buffers;

namespace ModernMail.Mime.Internal;

/// <summary>Rewrites bare CR, bare LF and CRLF as CRLF, streaming (RFC 5322 §2.3: lines end in CRLF).</summary>
internal sealed class LineBreakNormalizer : IStreamingEncoder
{
    // A CR at the very end of a chunk: we only know whether it was CRLF once the next chunk arrives.
    private bool _pendingCR;

    /// <summary>The worst case output length: every byte a bare LF.</summary>
    public static int GetMaxEncodedLength(int length) => checked(length * 2);

    /// <inheritdoc/>
    public void Reset() => _pendingCR = false;

    /// <inheritdoc/>
    public OperationStatus Encode(ReadOnlySpan<byte> source, Span<byte> destination, out int consumed, out int written, bool isFinal)
    {
        int i = 0, o = 0;
        if (_pendingCR)
        {
            if (source.IsEmpty && !isFinal)
            {
                consumed = written = 0;
                return OperationStatus.NeedMoreData;
            }

            if (destination.Length < 2)
            {
                consumed = written = 0;
                return OperationStatus.DestinationTooSmall;
            }

            "\r\n"u8.CopyTo(destination);
            o = 2;
            _pendingCR = false;
            if (!source.IsEmpty && source[0] == (byte)'\n')
            {
                i = 1;
            }
        }

        while (i < source.Length)
        {
            ReadOnlySpan<byte> rest = source[i..];
            int run = rest.IndexOfAny((byte)'\r', (byte)'\n');
            if (run < 0)
            {
                run = rest.Length;
            }

            if (run > 0)
            {
                int n = Math.Min(run, destination.Length - o);
                rest[..n].CopyTo(destination[o..]);
                i += n;
                o += n;
                if (n < run)
                {
                    consumed = i;
                    written = o;
                    return OperationStatus.DestinationTooSmall;
                }

                continue;
            }

            if (destination.Length - o < 2)
            {
                consumed = i;
                written = o;
                return OperationStatus.DestinationTooSmall;
            }

            if (rest[0] == (byte)'\n')
            {
                i++;
            }
            else if (rest.Length > 1)
            {
                i += rest[1] == (byte)'\n' ? 2 : 1;
            }
            else if (isFinal)
            {
                i++;
            }
            else
            {
                _pendingCR = true;
                i++;
                continue;
            }

            "\r\n"u8.CopyTo(destination[o..]);
            o += 2;
        }

        consumed = i;
        written = o;
        return isFinal ? OperationStatus.Done : OperationStatus.NeedMoreData;
    }
}
