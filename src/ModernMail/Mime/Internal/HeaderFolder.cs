using System.Text;

namespace ModernMail.Mime.Internal;

/// <summary>Writes header fields into a <see cref="StringBuilder"/>, folding at whitespace to 78 characters.</summary>
/// <remarks>
/// RFC 5322 §2.2.3: a fold is a CRLF inserted before whitespace. Tokens are never split, so a line can
/// pass 78 characters only when one token is longer. No line may pass 998 octets (§2.1.1): the validator
/// refuses tokens that could not fit (<see cref="FitsOnOneLine"/>), and the folder throws rather than write one.
/// </remarks>
internal sealed class HeaderFolder(StringBuilder builder)
{
    /// <summary>The line length folding aims for (RFC 5322 §2.1.1).</summary>
    public const int PreferredLineLength = 78;

    /// <summary>The hard limit on a line, in octets, without its CRLF (RFC 5322 §2.1.1).</summary>
    public const int MaxLineLength = 998;

    private int _lineOctets;
    private bool _lineHasToken;
    private string _name = "";

    /// <summary>The text written so far.</summary>
    public StringBuilder Builder => builder;

    /// <summary>The field an overlong line is reported against; <see cref="Begin"/> sets the header name, callers may be more precise ("To[2]").</summary>
    public string ErrorField { get; set; } = "";

    /// <summary>
    /// Whether <paramref name="token"/> can be written in the field <paramref name="name"/> without a line over 998 octets,
    /// wherever the folder puts it: at worst on the first line after "Name: ", followed by one glued character (',' or ';').
    /// </summary>
    public static bool FitsOnOneLine(string name, string token) => name.Length + 2 + Octets(token) + 1 <= MaxLineLength;

    /// <summary>The length of <paramref name="text"/> on the wire (header text is ASCII, or UTF-8 per RFC 6532).</summary>
    public static int Octets(string text) => Ascii.IsValid(text) ? text.Length : Encoding.UTF8.GetByteCount(text);

    /// <summary>Starts a header field "Name:".</summary>
    public void Begin(string name)
    {
        builder.Append(name).Append(':');
        _name = name;
        ErrorField = name;
        _lineOctets = name.Length + 1;
        _lineHasToken = false;
    }

    /// <summary>Appends a token after <paramref name="separator"/> (non-empty whitespace), folding before it when the line would get too long.</summary>
    /// <exception cref="MailMessageFormatException">The token does not fit in 998 octets even on a line of its own.</exception>
    public void Append(string separator, string token)
    {
        int octets = separator.Length + Octets(token);
        if (_lineHasToken && _lineOctets + octets > PreferredLineLength)
        {
            builder.Append("\r\n");
            _lineOctets = 0;
        }

        builder.Append(separator).Append(token);
        Grow(octets);
        _lineHasToken = true;
    }

    /// <summary>Appends text glued to the previous token (no fold point), such as a ',' or ';'.</summary>
    /// <exception cref="MailMessageFormatException">The line would pass 998 octets.</exception>
    public void AppendGlued(string text)
    {
        builder.Append(text);
        Grow(Octets(text));
    }

    /// <summary>Ends the header field.</summary>
    public void End() => builder.Append("\r\n");

    /// <summary>Appends structured ASCII text as is, folding only at its whitespace (Date, Message-ID, References, ...).</summary>
    /// <exception cref="MailMessageFormatException">A run of text without whitespace does not fit in 998 octets.</exception>
    public void AppendVerbatim(string text)
    {
        int pos = 0;
        string separator = " ";
        while (pos < text.Length)
        {
            int start = pos;
            while (pos < text.Length && text[pos] is ' ' or '\t')
            {
                pos++;
            }

            if (start < pos && _lineHasToken)
            {
                separator = text[start..pos];
            }

            start = pos;
            while (pos < text.Length && text[pos] is not (' ' or '\t'))
            {
                pos++;
            }

            if (start < pos)
            {
                Append(separator, text[start..pos]);
            }
        }
    }

    /// <summary>Writes a whole field whose value is a single token.</summary>
    public void Field(string name, string value)
    {
        Begin(name);
        Append(" ", value);
        End();
    }

    private void Grow(int octets)
    {
        _lineOctets += octets;
        if (_lineOctets > MaxLineLength)
        {
            throw new MailMessageFormatException(ErrorField, $"The {_name} field would need a line of more than {MaxLineLength} octets (RFC 5322 §2.1.1) and has no place to fold it.");
        }
    }
}
