using System.Text;

namespace ModernMail.Dkim.Internal;

/// <summary>Writes a DKIM-Signature field folded so that no line is longer than 78 characters (RFC 5322 §2.1.1).</summary>
internal sealed class DkimHeaderFolder
{
    public const int MaxLineLength = 78;
    private const string Fold = "\r\n ";

    private readonly StringBuilder _builder;
    private int _lineLength;

    public DkimHeaderFolder(string fieldName, int capacity)
    {
        _builder = new StringBuilder(capacity);
        _builder.Append(fieldName).Append(':');
        _lineLength = fieldName.Length + 1;
    }

    /// <summary>Appends a tag that must stay on one line, preceded by a space or a fold.</summary>
    public void AppendTag(string tag)
    {
        Separate(tag.Length);
        Append(tag);
    }

    /// <summary>Appends h=: the names separated by colons, folding after a colon where needed (FWS is allowed there, §3.5).</summary>
    public void AppendHeaderList(string[] names)
    {
        for (int i = 0; i < names.Length; i++)
        {
            string piece = (i == 0 ? "h=" : "") + names[i] + (i == names.Length - 1 ? ";" : ":");
            if (i == 0)
            {
                Separate(piece.Length);
            }
            else if (_lineLength + piece.Length > MaxLineLength)
            {
                NewLine();
            }

            Append(piece);
        }
    }

    /// <summary>Appends "name=" and a base64 value, breaking the value anywhere (base64 allows FWS, §3.5).</summary>
    public void AppendBase64(string name, string value, bool terminate)
    {
        string head = name + "=";
        Separate(head.Length + 1);
        Append(head);
        AppendBase64Value(value, terminate);
    }

    /// <summary>Continues the current tag with a base64 value, breaking it anywhere; ends it with ';' when <paramref name="terminate"/>.</summary>
    public void AppendBase64Value(string value, bool terminate)
    {
        int i = 0;
        while (i < value.Length)
        {
            int room = MaxLineLength - _lineLength;
            if (room <= 0)
            {
                NewLine();
                continue;
            }

            int n = System.Math.Min(room, value.Length - i);
            if (terminate && i + n == value.Length && n == room)
            {
                // Leave room for the ';' on this line.
                n--;
                if (n == 0)
                {
                    NewLine();
                    continue;
                }
            }

            _builder.Append(value, i, n);
            _lineLength += n;
            i += n;
        }

        if (terminate)
        {
            Append(";");
        }
    }

    /// <summary>Appends the start of the b= tag with an empty value, starting a new line.</summary>
    public void AppendEmptySignatureTag()
    {
        NewLine();
        Append("b=");
    }

    /// <summary>Ends the field with CRLF.</summary>
    public void AppendLineBreak() => _builder.Append("\r\n");

    public override string ToString() => _builder.ToString();

    private void Separate(int nextLength)
    {
        if (_lineLength + 1 + nextLength > MaxLineLength)
        {
            NewLine();
        }
        else
        {
            Append(" ");
        }
    }

    private void NewLine()
    {
        _builder.Append(Fold);
        _lineLength = Fold.Length - 2;
    }

    private void Append(string text)
    {
        _builder.Append(text);
        _lineLength += text.Length;
    }
}
