namespace ModernMail.Mime.Internal;

/// <summary>Scans text content to choose a transfer encoding; fed in chunks so streams need not fit in memory.</summary>
internal struct TextAnalysis
{
    /// <summary>Longest line sent as 7bit; longer lines go quoted-printable so they survive 78-column tools.</summary>
    public const int Max7BitLineLength = 78;

    /// <summary>RFC 5322 §2.1.1 hard limit, for 8bit.</summary>
    public const int Max8BitLineLength = 998;

    private int _lineLength;
    private int _maxLineLength;
    private bool _nonAscii;
    private bool _unsafe;
    private bool _afterEquals;
    private bool _nul;

    /// <summary>Feeds bytes (any line break convention).</summary>
    public void Add(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            Add(b, 1);
        }
    }

    /// <summary>Feeds UTF-16 text, counting line lengths in UTF-8 octets.</summary>
    public void Add(ReadOnlySpan<char> chars)
    {
        foreach (char c in chars)
        {
            int octets = c < 0x80 ? 1 : c < 0x800 ? 2 : char.IsSurrogate(c) ? 2 : 3;
            Add(c < 0x80 ? (byte)c : (byte)0x80, octets);
        }
    }

    private void Add(byte b, int octets)
    {
        if (b is (byte)'\r' or (byte)'\n')
        {
            _lineLength = 0;
            _afterEquals = false;
            return;
        }

        if (b >= 0x80)
        {
            _nonAscii = true;
        }
        else if (b == 0)
        {
            _nul = true;
            _unsafe = true;
        }
        else if ((b < 0x20 && b != (byte)'\t') || b == 0x7F || (_afterEquals && b == (byte)'_'))
        {
            // Controls and "=_" (our boundary prefix) force quoted-printable.
            _unsafe = true;
        }

        _afterEquals = b == (byte)'=';
        _lineLength += octets;
        _maxLineLength = Math.Max(_maxLineLength, _lineLength);
    }

    /// <summary>The Content-Transfer-Encoding this text can use unencoded ("7bit", "8bit"), or null when it must be encoded.</summary>
    public readonly string? Identity(bool allow8Bit)
    {
        if (_unsafe)
        {
            return null;
        }

        if (!_nonAscii && _maxLineLength <= Max7BitLineLength)
        {
            return "7bit";
        }

        return allow8Bit && _maxLineLength <= Max8BitLineLength ? "8bit" : null;
    }

    /// <summary>
    /// The identity encoding the body of a composite type can use ("7bit" or "8bit"), or null with the reason it can use none:
    /// message/* bodies may not be base64 or quoted-printable (RFC 2045 §6.4), so their content must already be 7bit or 8bit
    /// data (§2.7, §2.8: no NUL, lines of at most 998 octets; line breaks are normalized to CRLF when written).
    /// </summary>
    public readonly string? CompositeIdentity(bool allow8Bit, out string? problem)
    {
        problem = null;
        if (_nul)
        {
            problem = "it contains NUL bytes";
        }
        else if (_maxLineLength > Max8BitLineLength)
        {
            problem = $"it has a line of {_maxLineLength} octets, over the {Max8BitLineLength} RFC 5322 allows";
        }
        else if (_nonAscii && !allow8Bit)
        {
            problem = "it has 8-bit bytes, which need 8bit and so MailWriterOptions.Allow8Bit (the server's 8BITMIME)";
        }

        return problem is not null ? null : _nonAscii ? "8bit" : "7bit";
    }
}
