using System;
using System.Buffers;

namespace ModernMail.Dkim.Internal;

/// <summary>
/// Incremental DKIM body canonicalization (RFC 6376 §3.4.3 simple, §3.4.4 relaxed) with the
/// <see cref="System.Buffers.Text.Base64"/> contract: state carried between chunks lives in a few fields.
/// </summary>
/// <remarks>
/// Trailing empty lines cannot be known to be trailing until the end, so line breaks are held back as a
/// count and emitted only when more content follows. A bare LF is treated as a line break (the message is
/// sent with CRLF); a CR not followed by LF is content.
/// </remarks>
internal sealed class DkimBodyCanonicalizer
{
    private static readonly SearchValues<byte> s_relaxedSpecial = SearchValues.Create(" \t\r\n"u8);
    private static readonly SearchValues<byte> s_simpleSpecial = SearchValues.Create("\r\n"u8);

    private readonly bool _relaxed;
    private bool _pendingCr;
    private bool _pendingSpace;
    private bool _anyContent;
    private bool _finalCrlfWritten;
    private long _pendingLineBreaks;

    public DkimBodyCanonicalizer(DkimCanonicalization canonicalization)
    {
        _relaxed = canonicalization == DkimCanonicalization.Relaxed;
    }

    /// <summary>The most bytes one call can write for <paramref name="sourceLength"/> input bytes, not counting held-back line breaks.</summary>
    public static int GetMaxEncodedLength(int sourceLength) => sourceLength + 4;

    public void Reset()
    {
        _pendingCr = false;
        _pendingSpace = false;
        _anyContent = false;
        _finalCrlfWritten = false;
        _pendingLineBreaks = 0;
    }

    /// <remarks>The destination must hold at least 2 bytes (one CRLF), so that every call makes progress.</remarks>
    public OperationStatus Encode(ReadOnlySpan<byte> source, Span<byte> destination, out int consumed, out int written, bool isFinal)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, 2, nameof(destination));
        SearchValues<byte> special = _relaxed ? s_relaxedSpecial : s_simpleSpecial;
        int s = 0;
        int d = 0;
        while (true)
        {
            if (_pendingCr)
            {
                if (s == source.Length)
                {
                    break;
                }

                if (source[s] == (byte)'\n')
                {
                    _pendingCr = false;
                    s++;
                    EndLine();
                    continue;
                }

                // A lone CR is ordinary content.
                if (!TryFlush(destination, ref d, 1))
                {
                    return TooSmall(s, d, out consumed, out written);
                }

                destination[d++] = (byte)'\r';
                _pendingCr = false;
                _anyContent = true;
                continue;
            }

            if (s == source.Length)
            {
                break;
            }

            byte b = source[s];
            if (b == (byte)'\r')
            {
                _pendingCr = true;
                s++;
                continue;
            }

            if (b == (byte)'\n')
            {
                s++;
                EndLine();
                continue;
            }

            if (_relaxed && (b == (byte)' ' || b == (byte)'\t'))
            {
                // Relaxed: a run of WSP becomes one SP, and WSP at the end of a line disappears.
                _pendingSpace = true;
                s++;
                continue;
            }

            // Fast path: a run of bytes that need no change is copied as one block.
            int run = source[(s + 1)..].IndexOfAny(special);
            run = run < 0 ? source.Length - s : run + 1;
            if (!TryFlush(destination, ref d, 1))
            {
                return TooSmall(s, d, out consumed, out written);
            }

            int n = Math.Min(run, destination.Length - d);
            source.Slice(s, n).CopyTo(destination[d..]);
            s += n;
            d += n;
            _anyContent = true;
            if (n < run)
            {
                return TooSmall(s, d, out consumed, out written);
            }
        }

        if (isFinal)
        {
            if (_pendingCr)
            {
                if (!TryFlush(destination, ref d, 1))
                {
                    return TooSmall(s, d, out consumed, out written);
                }

                destination[d++] = (byte)'\r';
                _pendingCr = false;
                _anyContent = true;
            }

            // Trailing empty lines are dropped. Simple: an empty body is one CRLF (§3.4.3).
            // Relaxed: an empty body stays empty (§3.4.4, erratum 1384); otherwise end with CRLF.
            if (!_finalCrlfWritten && (_anyContent || !_relaxed))
            {
                if (destination.Length - d < 2)
                {
                    return TooSmall(s, d, out consumed, out written);
                }

                destination[d++] = (byte)'\r';
                destination[d++] = (byte)'\n';
            }

            _finalCrlfWritten = true;
            _pendingLineBreaks = 0;
            _pendingSpace = false;
        }

        consumed = s;
        written = d;
        return OperationStatus.Done;
    }

    private void EndLine()
    {
        _pendingSpace = false;
        _pendingLineBreaks++;
    }

    /// <summary>Writes held-back line breaks and space, leaving room for <paramref name="extra"/> more bytes.</summary>
    private bool TryFlush(Span<byte> destination, ref int d, int extra)
    {
        while (_pendingLineBreaks > 0)
        {
            if (destination.Length - d < 2)
            {
                return false;
            }

            destination[d++] = (byte)'\r';
            destination[d++] = (byte)'\n';
            _pendingLineBreaks--;
        }

        if (_pendingSpace)
        {
            if (destination.Length - d < 1)
            {
                return false;
            }

            destination[d++] = (byte)' ';
            _pendingSpace = false;
        }

        return destination.Length - d >= extra;
    }

    private static OperationStatus TooSmall(int s, int d, out int consumed, out int written)
    {
        consumed = s;
        written = d;
        return OperationStatus.DestinationTooSmall;
    }
}
