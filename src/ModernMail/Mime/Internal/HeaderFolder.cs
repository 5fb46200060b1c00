using System.Text;

namespace ModernMail.Mime.Internal;

/// <summary>Writes header fields into a <see cref="StringBuilder"/>, folding at whitespace to 78 characters.</summary>
/// <remarks>
/// RFC 5322 §2.2.3: a fold is a CRLF inserted before whitespace. Tokens are never split, so a line can
/// pass 78 characters only when one token is longer; callers keep every token well under 998.
/// </remarks>
internal sealed class HeaderFolder(StringBuilder builder)
{
    /// <summary>The line length folding aims for (RFC 5322 §2.1.1).</summary>
    public const int PreferredLineLength = 78;

    private int _lineLength;
    private bool _lineHasToken;

    /// <summary>The text written so far.</summary>
    public StringBuilder Builder => builder;

    /// <summary>Starts a header field "Name:".</summary>
    public void Begin(string name)
    {
        builder.Append(name).Append(':');
        _lineLength = name.Length + 1;
        _lineHasToken = false;
    }

    /// <summary>Appends a token after <paramref name="separator"/> (non-empty whitespace), folding before it when the line would get too long.</summary>
    public void Append(string separator, string token)
    {
        if (_lineHasToken && _lineLength + separator.Length + token.Length > PreferredLineLength)
        {
            builder.Append("\r\n");
            _lineLength = 0;
        }

        builder.Append(separator).Append(token);
        _lineLength += separator.Length + token.Length;
        _lineHasToken = true;
    }

    /// <summary>Appends text glued to the previous token (no fold point), such as a ',' or ';'.</summary>
    public void AppendGlued(string text)
    {
        builder.Append(text);
        _lineLength += text.Length;
    }

    /// <summary>Ends the header field.</summary>
    public void End() => builder.Append("\r\n");

    /// <summary>Writes a whole field whose value is a single token.</summary>
    public void Field(string name, string value)
    {
        Begin(name);
        Append(" ", value);
        End();
    }
}
