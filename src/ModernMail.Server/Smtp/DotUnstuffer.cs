namespace ModernMail.Server.Smtp;

/// <summary>Decodes SMTP DATA incrementally (RFC 5321 §4.5.2): removes the leading dot of stuffed lines and finds the end-of-data line.</summary>
/// <remarks>
/// Only CRLF "." CRLF ends the data: a bare LF or bare CR never starts a line, so "\n.\n" and "\r.\r" are plain content (the
/// SMTP smuggling trick of 2023 needs a server that ends data on them). The state between chunks is where we are in a line.
/// </remarks>
internal sealed class DotUnstuffer
{
    private State _state = State.LineStart;

    private enum State
    {
        /// <summary>After CRLF (or at the start): a dot here is stuffing or the end-of-data line.</summary>
        LineStart,

        /// <summary>Inside a line.</summary>
        Text,

        /// <summary>Inside a line, just after a CR.</summary>
        Cr,

        /// <summary>A line started with a dot (not yet written).</summary>
        Dot,

        /// <summary>A line started with dot CR (neither written yet): LF next ends the data.</summary>
        DotCr,
    }

    /// <summary>The most bytes <see cref="Decode"/> writes beyond the length of its input (a "." CR held from the previous chunk).</summary>
    public const int MaxExpansion = 1;

    /// <summary>Decodes <paramref name="source"/> into <paramref name="destination"/>, which must hold <c>source.Length + MaxExpansion</c> bytes.</summary>
    /// <param name="source">The next chunk of DATA as received.</param>
    /// <param name="destination">Where the message bytes go (without stuffing and without the end-of-data line).</param>
    /// <param name="consumed">How much of <paramref name="source"/> was read: all of it, or up to and including the end-of-data line.</param>
    /// <param name="written">How many bytes were written.</param>
    /// <returns>True when the end-of-data line was found (bytes after it in <paramref name="source"/> are the next commands).</returns>
    public bool Decode(ReadOnlySpan<byte> source, Span<byte> destination, out int consumed, out int written)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, source.Length + MaxExpansion, nameof(destination));
        int i = 0;
        int w = 0;
        while (i < source.Length)
        {
            switch (_state)
            {
                case State.Text:
                    // Fast path: copy up to the next CR in one go.
                    int cr = source[i..].IndexOf((byte)'\r');
                    int run = cr < 0 ? source.Length - i : cr + 1;
                    source.Slice(i, run).CopyTo(destination[w..]);
                    i += run;
                    w += run;
                    if (cr >= 0)
                    {
                        _state = State.Cr;
                    }
                    continue;
                case State.Cr:
                    {
                        byte b = source[i++];
                        destination[w++] = b;
                        _state = b == '\n' ? State.LineStart : b == '\r' ? State.Cr : State.Text;
                        continue;
                    }
                case State.LineStart:
                    {
                        byte b = source[i++];
                        if (b == '.')
                        {
                            _state = State.Dot;
                            continue;
                        }
                        destination[w++] = b;
                        _state = b == '\r' ? State.Cr : State.Text;
                        continue;
                    }
                case State.Dot:
                    {
                        byte b = source[i++];
                        if (b == '\r')
                        {
                            _state = State.DotCr;
                            continue;
                        }
                        // The first dot of a line with more on it is removed (RFC 5321 §4.5.2); ".." becomes ".".
                        destination[w++] = b;
                        _state = State.Text;
                        continue;
                    }
                case State.DotCr:
                    {
                        byte b = source[i++];
                        if (b == '\n')
                        {
                            consumed = i;
                            written = w;
                            _state = State.LineStart;
                            return true;
                        }
                        // "." CR then something else: the dot was stuffing, the CR is content.
                        destination[w++] = (byte)'\r';
                        destination[w++] = b;
                        _state = b == '\r' ? State.Cr : State.Text;
                        continue;
                    }
            }
        }
        consumed = i;
        written = w;
        return false;
    }
}
