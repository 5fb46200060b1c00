using System.Buffers;

namespace ModernMail.Mime.Internal;

/// <summary>Quoted-printable (RFC 2045 §6.7) for text whose line breaks are already CRLF, streaming.</summary>
/// <remarks>
/// Output lines are at most 76 characters including the soft break '='. A soft break is only ever
/// inserted between encoded units, never inside "=XX". Space and tab are written literally unless they
/// would end a line (then "=20"/"=09"); a CRLF pair is a hard line break; a bare CR or LF is encoded.
/// Output never contains "=_" ('=' is always followed by a hex digit or CR), which multipart boundaries rely on.
/// </remarks>
internal sealed class QuotedPrintableEncoder : IStreamingEncoder
{
    private const int MaxLineLength = 75; // plus the '=' of a soft break
    private static readonly SearchValues<byte> s_literal = SearchValues.Create(
        "!\"#$%&'()*+,-./0123456789:;<>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"u8);

    private int _lineLength;

    // A space, tab or CR whose encoding depends on the next byte; 0 when none.
    private byte _pending;

    /// <summary>The worst case output length: every byte as "=XX" plus soft breaks.</summary>
    public static int GetMaxEncodedLength(int length) => checked((length * 3) + (((length * 3) / MaxLineLength) + 1) * 3);

    /// <inheritdoc/>
    public void Reset()
    {
        _lineLength = 0;
        _pending = 0;
    }

    /// <inheritdoc/>
    public OperationStatus Encode(ReadOnlySpan<byte> source, Span<byte> destination, out int consumed, out int written, bool isFinal)
    {
        int i = 0, o = 0;
        while (i < source.Length)
        {
            // Room for the worst step: a pending unit, a soft break and an encoded byte.
            if (destination.Length - o < 12)
            {
                consumed = i;
                written = o;
                return OperationStatus.DestinationTooSmall;
            }

            byte b = source[i];
            if (_pending != 0)
            {
                byte p = _pending;
                _pending = 0;
                if (p == (byte)'\r')
                {
                    if (b == (byte)'\n')
                    {
                        destination[o++] = (byte)'\r';
                        destination[o++] = (byte)'\n';
                        _lineLength = 0;
                        i++;
                    }
                    else
                    {
                        o += WriteEncoded(p, destination[o..]);
                    }
                }
                else if (b == (byte)'\r')
                {
                    // Whitespace before a (possible) line break must not stay literal.
                    o += WriteEncoded(p, destination[o..]);
                }
                else
                {
                    o += WriteLiteral(p, destination[o..]);
                }

                continue;
            }

            if (b is (byte)' ' or (byte)'\t' or (byte)'\r')
            {
                _pending = b;
                i++;
                continue;
            }

            if (!s_literal.Contains(b))
            {
                o += WriteEncoded(b, destination[o..]);
                i++;
                continue;
            }

            int room = MaxLineLength - _lineLength;
            if (room <= 0)
            {
                o += WriteSoftBreak(destination[o..]);
                continue;
            }

            ReadOnlySpan<byte> rest = source[i..];
            int run = rest.IndexOfAnyExcept(s_literal);
            if (run < 0)
            {
                run = rest.Length;
            }

            int n = Math.Min(Math.Min(run, room), destination.Length - o);
            rest[..n].CopyTo(destination[o..]);
            o += n;
            i += n;
            _lineLength += n;
        }

        if (!isFinal)
        {
            consumed = i;
            written = o;
            return OperationStatus.NeedMoreData;
        }

        if (_pending != 0)
        {
            if (destination.Length - o < 6)
            {
                consumed = i;
                written = o;
                return OperationStatus.DestinationTooSmall;
            }

            o += WriteEncoded(_pending, destination[o..]);
            _pending = 0;
        }

        consumed = i;
        written = o;
        return OperationStatus.Done;
    }

    private int WriteLiteral(byte b, Span<byte> destination)
    {
        int o = 0;
        if (_lineLength + 1 > MaxLineLength)
        {
            o = WriteSoftBreak(destination);
        }

        destination[o++] = b;
        _lineLength++;
        return o;
    }

    private int WriteEncoded(byte b, Span<byte> destination)
    {
        int o = 0;
        if (_lineLength + 3 > MaxLineLength)
        {
            o = WriteSoftBreak(destination);
        }

        destination[o] = (byte)'=';
        destination[o + 1] = (byte)"0123456789ABCDEF"[b >> 4];
        destination[o + 2] = (byte)"0123456789ABCDEF"[b & 0xF];
        _lineLength += 3;
        return o + 3;
    }

    private int WriteSoftBreak(Span<byte> destination)
    {
        "=\r\n"u8.CopyTo(destination);
        _lineLength = 0;
        return 3;
    }
}
