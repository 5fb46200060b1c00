using System.Buffers;

namespace ModernMail.Smtp.Internal;

/// <summary>Streaming SMTP DATA encoder: doubles a '.' at the start of a line (RFC 5321 §4.5.2), turns bare LF into CRLF, and ends with CRLF "." CRLF.</summary>
/// <remarks>State between chunks is two flags, so any chunking gives byte-identical output. Bare CR is passed through unchanged.
/// A message that does not end with CRLF gets one before the terminator (RFC 5321 §4.1.1.4); composed messages always end
/// with CRLF already (<see cref="Mime.MailMessageWriter"/>), so for them the delivered bytes are the signed bytes.</remarks>
internal sealed class DotStuffer
{
    private bool _atLineStart = true;
    private bool _previousWasCr;
    private bool _finished;

    /// <summary>The largest output <see cref="Encode"/> can produce for <paramref name="length"/> input bytes, final terminator included.</summary>
    public static int GetMaxEncodedLength(int length) => checked((length * 2) + 5);

    /// <summary>Forgets all state, ready for a new message.</summary>
    public void Reset()
    {
        _atLineStart = true;
        _previousWasCr = false;
        _finished = false;
    }

    /// <summary>True when <paramref name="source"/> can go on the wire unchanged: no line in it starts with '.', and it has no bare LF.</summary>
    /// <remarks>On true the caller writes <paramref name="source"/> itself and must call <see cref="Skip"/> with it.</remarks>
    public bool NeedsNoChange(ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty)
        {
            return true;
        }
        if (_atLineStart && source[0] == (byte)'.')
        {
            return false;
        }
        if (source[0] == (byte)'\n' && !_previousWasCr)
        {
            return false;
        }
        int offset = 0;
        while (true)
        {
            int lf = source[offset..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                return true;
            }
            int at = offset + lf;
            if (at > 0 && source[at - 1] != (byte)'\r')
            {
                return false;
            }
            if (at + 1 < source.Length && source[at + 1] == (byte)'.')
            {
                return false;
            }
            offset = at + 1;
            if (offset >= source.Length)
            {
                return true;
            }
        }
    }

    /// <summary>Updates the state as if <paramref name="source"/> had been encoded (after <see cref="NeedsNoChange"/> returned true).</summary>
    public void Skip(ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty)
        {
            return;
        }
        byte last = source[^1];
        _atLineStart = last == (byte)'\n';
        _previousWasCr = last == (byte)'\r';
    }

    /// <summary>Encodes <paramref name="source"/> into <paramref name="destination"/>; with <paramref name="isFinal"/> also writes the terminator.</summary>
    public OperationStatus Encode(ReadOnlySpan<byte> source, Span<byte> destination, out int consumed, out int written, bool isFinal)
    {
        consumed = 0;
        written = 0;
        if (_finished)
        {
            throw new InvalidOperationException("The terminator was already written; call Reset.");
        }
        while (consumed < source.Length)
        {
            // Copy the run up to the next byte that may need work ('\n', or '.' at line start).
            if (!_atLineStart)
            {
                var rest = source[consumed..];
                int lf = rest.IndexOf((byte)'\n');
                int run = lf < 0 ? rest.Length : lf;
                if (run > 0)
                {
                    int n = Math.Min(run, destination.Length - written);
                    rest[..n].CopyTo(destination[written..]);
                    consumed += n;
                    written += n;
                    _previousWasCr = source[consumed - 1] == (byte)'\r';
                    if (n < run)
                    {
                        return OperationStatus.DestinationTooSmall;
                    }
                    continue;
                }
                // At '\n'.
                int need = _previousWasCr ? 1 : 2;
                if (destination.Length - written < need)
                {
                    return OperationStatus.DestinationTooSmall;
                }
                if (!_previousWasCr)
                {
                    destination[written++] = (byte)'\r';
                }
                destination[written++] = (byte)'\n';
                consumed++;
                _previousWasCr = false;
                _atLineStart = true;
                continue;
            }
            byte b = source[consumed];
            if (b == (byte)'.')
            {
                if (destination.Length - written < 2)
                {
                    return OperationStatus.DestinationTooSmall;
                }
                destination[written++] = (byte)'.';
                destination[written++] = (byte)'.';
                consumed++;
                _atLineStart = false;
                _previousWasCr = false;
                continue;
            }
            _atLineStart = false;
            // Let the run loop handle it (a '\n' here is an empty line, handled there too).
        }
        if (!isFinal)
        {
            return OperationStatus.Done;
        }
        int terminator = _atLineStart ? 3 : 5;
        if (destination.Length - written < terminator)
        {
            return OperationStatus.DestinationTooSmall;
        }
        if (!_atLineStart)
        {
            if (_previousWasCr)
            {
                // A trailing CR becomes the CR of the closing CRLF.
                destination[written++] = (byte)'\n';
            }
            else
            {
                destination[written++] = (byte)'\r';
                destination[written++] = (byte)'\n';
            }
        }
        destination[written++] = (byte)'.';
        destination[written++] = (byte)'\r';
        destination[written++] = (byte)'\n';
        _finished = true;
        _atLineStart = true;
        _previousWasCr = false;
        return OperationStatus.Done;
    }
}
