using System.Text;

namespace ModernMail.Mime.Internal;

/// <summary>RFC 2047 encoding of unstructured text and phrases: only the words that need it, in UTF-8.</summary>
internal static class EncodedWords
{
    /// <summary>Longest word written as-is; longer ones are encoded so they can be split and no line passes 998.</summary>
    private const int MaxPlainWordLength = 900;

    // "=?utf-8?Q?" + text + "?=" <= 75 (RFC 2047 §2).
    private const int MaxEncodedTextLength = 75 - 12;
    private const int MaxBase64Bytes = MaxEncodedTextLength / 4 * 3;

    private const string AText = "!#$%&'*+-/=?^_`{|}~";

    /// <summary>Appends unstructured text (Subject, custom fields): RFC 5322 §3.2.5 <c>unstructured</c>.</summary>
    public static void AppendUnstructured(HeaderFolder folder, string text) => Append(folder, text, phrase: false);

    /// <summary>Appends a display name as RFC 5322 <c>phrase</c>: atoms, one quoted-string, or encoded-words.</summary>
    public static void AppendPhrase(HeaderFolder folder, string text)
    {
        if (NeedsQuoting(text))
        {
            folder.Append(" ", Quote(text));
            return;
        }

        Append(folder, text, phrase: true);
    }

    /// <summary>Whether a phrase is printable ASCII that needs a quoted-string (specials or odd spacing) and fits one line.</summary>
    /// <remarks>
    /// Never for text holding "=?": real decoders (Python's email, many clients) decode encoded-words even inside a
    /// quoted-string, so "=?utf-8?q?admin?=" would be shown as "admin". Such words are encoded themselves instead.
    /// </remarks>
    private static bool NeedsQuoting(string text)
    {
        if (text.Length == 0 || text.Length > 60 || LooksEncoded(text))
        {
            return false;
        }

        bool allAtoms = true;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c is < ' ' or > '~')
            {
                return false;
            }

            if (c == ' ')
            {
                if (i == 0 || i == text.Length - 1 || text[i - 1] == ' ')
                {
                    allAtoms = false;
                }
            }
            else if (!IsAText(c))
            {
                allAtoms = false;
            }
        }

        return !allAtoms;
    }

    /// <summary>Whether a decoder could take part of <paramref name="text"/> for the start of an RFC 2047 encoded-word.</summary>
    public static bool LooksEncoded(string text) => text.Contains("=?", StringComparison.Ordinal);

    /// <summary>Returns <paramref name="text"/> as a quoted-string, escaping '"' and '\' (RFC 5322 §3.2.4).</summary>
    public static string Quote(string text)
    {
        var sb = new StringBuilder(text.Length + 4).Append('"');
        foreach (char c in text)
        {
            if (c is '"' or '\\')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.Append('"').ToString();
    }

    /// <summary>RFC 5322 atext.</summary>
    public static bool IsAText(char c) => char.IsAsciiLetterOrDigit(c) || AText.Contains(c, StringComparison.Ordinal);

    private static bool IsPlainWord(string word, bool phrase)
    {
        // A literal "=?...?=" is encoded itself, so that what a reader sees is what the sender wrote.
        if (word.Length > MaxPlainWordLength || LooksEncoded(word))
        {
            return false;
        }

        foreach (char c in word)
        {
            if (phrase ? !IsAText(c) : c is <= ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsWhitespace(char c) => c is ' ' or '\t';

    private static void Append(HeaderFolder folder, string text, bool phrase)
    {
        if (text.Length == 0)
        {
            return;
        }

        // Split into words, each with the whitespace before it, plus trailing whitespace.
        var words = new List<(string Space, string Word)>();
        int pos = 0;
        while (pos < text.Length)
        {
            int start = pos;
            while (pos < text.Length && IsWhitespace(text[pos]))
            {
                pos++;
            }

            int wordStart = pos;
            while (pos < text.Length && !IsWhitespace(text[pos]))
            {
                pos++;
            }

            if (wordStart == pos)
            {
                pos = start; // only trailing whitespace left
                break;
            }

            words.Add((text[start..wordStart], text[wordStart..pos]));
        }

        string trailing = words.Count == 0 ? "" : text[pos..];
        if (words.Count == 0)
        {
            AppendEncoded(folder, " ", text);
            return;
        }

        // Decide which words get encoded. Whitespace that is leading, trailing, or (in a phrase) not a single
        // space would be lost or changed by decoders, so it travels inside an encoded-word.
        bool[] encode = new bool[words.Count];
        for (int i = 0; i < words.Count; i++)
        {
            encode[i] |= !IsPlainWord(words[i].Word, phrase);
            if (phrase && i > 0 && words[i].Space != " ")
            {
                // Decoders collapse whitespace between phrase tokens, so both neighbours carry it encoded.
                encode[i - 1] = encode[i] = true;
            }
        }

        encode[0] |= words[0].Space.Length > 0;
        encode[^1] |= trailing.Length > 0;

        int w = 0;
        while (w < words.Count)
        {
            string space = words[w].Space;
            if (!encode[w])
            {
                folder.Append(w == 0 ? " " : space, words[w].Word);
                w++;
                continue;
            }

            // A run of words to encode together; the whitespace between them goes inside.
            var run = new StringBuilder();
            string separator;
            if (w == 0)
            {
                separator = " ";
                run.Append(space);
            }
            else
            {
                separator = space[..1];
                run.Append(space, 1, space.Length - 1);
            }

            run.Append(words[w].Word);
            w++;
            while (w < words.Count && encode[w])
            {
                run.Append(words[w].Space).Append(words[w].Word);
                w++;
            }

            if (w == words.Count)
            {
                run.Append(trailing);
            }
            else if (words[w].Space.Length > 1)
            {
                // Keep exactly one whitespace character as the separator before the next plain word.
                string next = words[w].Space;
                run.Append(next, 0, next.Length - 1);
                words[w] = (next[^1..], words[w].Word);
            }

            AppendEncoded(folder, separator, run.ToString());
        }
    }

    /// <summary>Appends <paramref name="text"/> as one or more encoded-words, each at most 75 characters, split between scalars.</summary>
    private static void AppendEncoded(HeaderFolder folder, string separator, string text)
    {
        int utf8Length = Encoding.UTF8.GetByteCount(text);
        int qLength = 0;
        foreach (Rune rune in text.EnumerateRunes())
        {
            qLength += QLength(rune);
        }

        bool useQ = qLength <= (utf8Length + 2) / 3 * 4;
        var word = new StringBuilder(80);
        Span<byte> bytes = stackalloc byte[4];
        byte[] chunk = new byte[MaxBase64Bytes];
        int chunkLength = 0;
        int textLength = 0;
        foreach (Rune rune in text.EnumerateRunes())
        {
            int n = rune.EncodeToUtf8(bytes);
            int cost = useQ ? QLength(rune) : 0;
            bool full = useQ ? textLength + cost > MaxEncodedTextLength : chunkLength + n > MaxBase64Bytes;
            if (full)
            {
                Flush();
            }

            if (useQ)
            {
                AppendQ(word, rune, bytes[..n]);
                textLength += cost;
            }
            else
            {
                bytes[..n].CopyTo(chunk.AsSpan(chunkLength));
                chunkLength += n;
            }
        }

        Flush();

        void Flush()
        {
            string encodedText = useQ ? word.ToString() : Convert.ToBase64String(chunk, 0, chunkLength);
            if (encodedText.Length == 0)
            {
                return;
            }

            folder.Append(separator, (useQ ? "=?utf-8?Q?" : "=?utf-8?B?") + encodedText + "?=");
            separator = " ";
            word.Clear();
            chunkLength = 0;
            textLength = 0;
        }
    }

    // RFC 2047 §5 (3): the characters an encoded-word in a phrase may carry literally; we use it everywhere.
    private static bool IsQLiteral(Rune rune) => rune.Value < 128 && (char.IsAsciiLetterOrDigit((char)rune.Value) || "!*+-/".Contains((char)rune.Value, StringComparison.Ordinal));

    private static int QLength(Rune rune) => IsQLiteral(rune) || rune.Value == ' ' ? 1 : rune.Utf8SequenceLength * 3;

    private static void AppendQ(StringBuilder word, Rune rune, ReadOnlySpan<byte> utf8)
    {
        if (rune.Value == ' ')
        {
            word.Append('_');
        }
        else if (IsQLiteral(rune))
        {
            word.Append((char)rune.Value);
        }
        else
        {
            foreach (byte b in utf8)
            {
                word.Append('=').Append("0123456789ABCDEF"[b >> 4]).Append("0123456789ABCDEF"[b & 0xF]);
            }
        }
    }
}
