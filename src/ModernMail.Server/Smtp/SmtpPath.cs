using System.Diagnostics.CodeAnalysis;

namespace ModernMail.Server.Smtp;

/// <summary>Parses the arguments of MAIL and RCPT: the path in angle brackets and the ESMTP parameters after it.</summary>
internal static class SmtpPath
{
    // RFC 5321 §4.1.1.2 / §4.1.1.3:
    //   "MAIL FROM:" Reverse-path [SP Mail-parameters]
    //   "RCPT TO:" Forward-path [SP Rcpt-parameters]
    //   Path = "<" [ A-d-l ":" ] Mailbox ">"
    //   esmtp-param = esmtp-keyword ["=" esmtp-value]

    /// <summary>Splits "FROM:&lt;a@b&gt; SIZE=1 BODY=8BITMIME" (with <paramref name="keyword"/> "FROM").</summary>
    /// <param name="arguments">The command line after the verb.</param>
    /// <param name="keyword">"FROM" or "TO".</param>
    /// <param name="path">The mailbox inside the brackets, source route removed; "" for the null path &lt;&gt;.</param>
    /// <param name="parameters">The parameters, keywords upper-cased; a keyword without a value maps to "".</param>
    /// <param name="error">What is wrong, when false.</param>
    public static bool TryParse(string arguments, string keyword, [NotNullWhen(true)] out string? path,
        [NotNullWhen(true)] out Dictionary<string, string>? parameters, [NotNullWhen(false)] out string? error)
    {
        path = null;
        parameters = null;
        string syntax = keyword == "FROM" ? "MAIL FROM:<address>" : "RCPT TO:<address>";
        if (!arguments.StartsWith(keyword + ":", StringComparison.OrdinalIgnoreCase))
        {
            error = $"Syntax: {syntax}";
            return false;
        }
        // Some clients put a space after the colon; accepting it costs nothing.
        string rest = arguments[(keyword.Length + 1)..].TrimStart(' ');
        if (rest.Length == 0 || rest[0] != '<')
        {
            error = $"Syntax: {syntax} (the address goes in angle brackets)";
            return false;
        }
        int close = FindClose(rest);
        if (close < 0)
        {
            error = $"Syntax: {syntax} (no closing '>')";
            return false;
        }
        string inner = rest[1..close];
        if (inner.StartsWith('@'))
        {
            // A source route (A-d-l) is obsolete and ignored (RFC 5321 §4.1.1.3, §C).
            int colon = inner.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                error = "Malformed source route in the path";
                return false;
            }
            inner = inner[(colon + 1)..];
        }
        parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string parameter in rest[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = parameter.IndexOf('=', StringComparison.Ordinal);
            string name = eq < 0 ? parameter : parameter[..eq];
            if (name.Length == 0 || !parameters.TryAdd(name.ToUpperInvariant(), eq < 0 ? "" : parameter[(eq + 1)..]))
            {
                error = $"Malformed or repeated parameter \"{parameter}\"";
                parameters = null;
                return false;
            }
        }
        path = inner;
        error = null;
        return true;
    }

    // '>' inside a quoted local part ("a>b"@example.com) does not close the path.
    private static int FindClose(string text)
    {
        bool quoted = false;
        for (int i = 1; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted && c == '\\')
            {
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == '>' && !quoted)
            {
                return i;
            }
        }
        return -1;
    }
}
