using System.Net.Mail;
using System.Text;
using ModernMail.Mime;

namespace ModernMail.Server.Submission;

/// <summary>Checks and normalizes a client's ready-made RFC 5322 message before it is queued as is.</summary>
internal static class RawMessage
{
    /// <summary>The longest header block read to find From and DKIM-Signature (the DKIM signer's default limit too).</summary>
    private const int MaxHeaderBytes = 256 * 1024;

    /// <summary>Returns the message with CRLF line endings (bare LF, common in files written on Unix, becomes CRLF).</summary>
    /// <exception cref="MailMessageFormatException">The message is empty or holds a NUL byte (field "raw").</exception>
    public static byte[] Normalize(byte[] raw, string field)
    {
        if (raw.Length == 0)
        {
            throw new MailMessageFormatException(field, "The message is empty.");
        }
        if (raw.AsSpan().IndexOf((byte)0) >= 0)
        {
            throw new MailMessageFormatException(field, "The message contains a NUL byte, which SMTP cannot carry.");
        }
        int bareLf = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r'))
            {
                bareLf++;
            }
        }
        if (bareLf == 0)
        {
            return raw;
        }
        byte[] fixedUp = new byte[raw.Length + bareLf];
        int n = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r'))
            {
                fixedUp[n++] = (byte)'\r';
            }
            fixedUp[n++] = raw[i];
        }
        return fixedUp;
    }

    /// <summary>Removes every <paramref name="name"/> field (a control field for this server, not for recipients) from the header block
    /// of a normalized message; returns the message without them and the last one's value, or the message itself and null.</summary>
    public static (byte[] Message, string? Value) TakeField(byte[] message, string name)
    {
        int end = message.AsSpan().IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return (message, null);
        }
        var kept = new List<byte>(message.Length);
        string? value = null;
        bool dropping = false;
        int start = 0;
        while (start < end + 2)
        {
            int lineEnd = message.AsSpan(start).IndexOf("\r\n"u8) + start + 2;
            var line = message.AsSpan(start, lineEnd - start);
            bool continuation = line.Length > 0 && (line[0] == (byte)' ' || line[0] == (byte)'\t');
            if (!continuation)
            {
                int colon = line.IndexOf((byte)':');
                dropping = colon > 0 && Encoding.ASCII.GetString(line[..colon]).Trim().Equals(name, StringComparison.OrdinalIgnoreCase);
                if (dropping)
                {
                    value = Encoding.UTF8.GetString(line[(colon + 1)..]).Trim();
                }
            }
            else if (dropping)
            {
                value += " " + Encoding.UTF8.GetString(line).Trim();
            }
            if (!dropping)
            {
                kept.AddRange(line);
            }
            start = lineEnd;
        }
        if (value is null)
        {
            return (message, null);
        }
        kept.AddRange(message.AsSpan(end + 2));
        return (kept.ToArray(), value);
    }

    /// <summary>Reads the header block of a CRLF message: the From address and whether a DKIM-Signature is present.</summary>
    /// <exception cref="MailMessageFormatException">There is no single parseable From field, or a header line is malformed (field "raw").</exception>
    public static (MailAddress From, bool Signed) ReadHeaders(ReadOnlySpan<byte> message, string field)
    {
        int end = message.IndexOf("\r\n\r\n"u8);
        ReadOnlySpan<byte> block = end < 0 ? message : message[..(end + 2)];
        if (block.Length > MaxHeaderBytes)
        {
            throw new MailMessageFormatException(field, $"The header block is larger than {MaxHeaderBytes / 1024} KiB.");
        }
        string text = Encoding.UTF8.GetString(block);
        string? from = null;
        int fromCount = 0;
        bool signed = false;
        foreach (string header in Unfold(text, field))
        {
            int colon = header.IndexOf(':', StringComparison.Ordinal);
            string name = header[..colon].TrimEnd();
            if (name.Equals("From", StringComparison.OrdinalIgnoreCase))
            {
                from = header[(colon + 1)..].Trim();
                fromCount++;
            }
            else if (name.Equals("DKIM-Signature", StringComparison.OrdinalIgnoreCase))
            {
                signed = true;
            }
        }
        if (fromCount != 1 || from is null)
        {
            throw new MailMessageFormatException(field, fromCount == 0 ? "The message has no From header field." : "The message has more than one From header field.");
        }
        var addresses = new MailAddressCollection();
        try
        {
            addresses.Add(from);
        }
        catch (FormatException ex)
        {
            throw new MailMessageFormatException(field, $"The From header field is not an address: {ex.Message}");
        }
        if (addresses.Count == 0)
        {
            throw new MailMessageFormatException(field, "The From header field holds no address.");
        }
        return (addresses[0], signed);
    }

    /// <summary>Adds Date and Message-ID when the message has none (RFC 6409 §8.2, §8.3: a submission server may; large
    /// receivers refuse or junk mail without a Message-ID). Returns <paramref name="message"/> itself when both are present.</summary>
    /// <param name="message">A CRLF message whose header block <see cref="ReadHeaders"/> accepted.</param>
    /// <param name="hostName">The right-hand side of a new Message-ID.</param>
    /// <param name="now">The time for a new Date.</param>
    public static byte[] AddMissingDateAndMessageId(byte[] message, string hostName, DateTimeOffset now)
    {
        int end = message.AsSpan().IndexOf("\r\n\r\n"u8);
        string block = Encoding.UTF8.GetString(message, 0, end < 0 ? message.Length : end + 2);
        bool hasDate = false;
        bool hasId = false;
        foreach (string header in Unfold(block, "raw"))
        {
            string name = header[..header.IndexOf(':', StringComparison.Ordinal)].TrimEnd();
            hasDate |= name.Equals("Date", StringComparison.OrdinalIgnoreCase);
            hasId |= name.Equals("Message-ID", StringComparison.OrdinalIgnoreCase);
        }
        if (hasDate && hasId)
        {
            return message;
        }
        var added = new StringBuilder();
        if (!hasDate)
        {
            added.Append("Date: ").Append(ModernMail.Mime.Internal.DateFormatter.Format(now)).Append("\r\n");
        }
        if (!hasId)
        {
            added.Append("Message-ID: <").Append(Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)))
                .Append('@').Append(hostName).Append(">\r\n");
        }
        byte[] prefix = Encoding.ASCII.GetBytes(added.ToString());
        byte[] result = new byte[prefix.Length + message.Length];
        prefix.CopyTo(result, 0);
        message.CopyTo(result, prefix.Length);
        return result;
    }

    private static IEnumerable<string> Unfold(string block, string field)
    {
        var current = new StringBuilder();
        foreach (string line in block.Split("\r\n"))
        {
            if (line.Length == 0)
            {
                continue;
            }
            if (line[0] is ' ' or '\t')
            {
                if (current.Length == 0)
                {
                    throw new MailMessageFormatException(field, "The message starts with a continuation line, not a header field.");
                }
                current.Append(line);
                continue;
            }
            if (current.Length > 0)
            {
                yield return current.ToString();
                current.Clear();
            }
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || line.AsSpan(0, colon).TrimEnd().ContainsAnyExceptInRange('!', '~'))
            {
                throw new MailMessageFormatException(field, $"Not a header field line: \"{Shorten(line)}\" (a header block ends at the first empty line).");
            }
            current.Append(line);
        }
        if (current.Length > 0)
        {
            yield return current.ToString();
        }
    }

    private static string Shorten(string line) => line.Length <= 60 ? line : line[..60] + "...";
}
