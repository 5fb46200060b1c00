using System.Buffers;
using System.Text;
using ModernMail.Internal;

namespace ModernMail.Smtp.Internal;

/// <summary>Parses SMTP replies from bytes, without I/O.</summary>
/// <remarks>Text is decoded as UTF-8 (invalid bytes become U+FFFD) and escaped by <see cref="SmtpReply"/>; the bytes as
/// received are kept in <see cref="SmtpReply.RawBytes"/>.</remarks>
internal static class SmtpReplyParser
{
    /// <summary>The longest reply line we accept, CRLF included (RFC 5321 says 512; servers send more).</summary>
    public const int MaxLineLength = 4096;

    /// <summary>The most lines one reply may have.</summary>
    public const int MaxLines = 100;

    private static readonly Encoding s_utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>Tries to parse one complete reply at the start of <paramref name="buffer"/>.</summary>
    /// <returns><see cref="OperationStatus.Done"/> with <paramref name="consumed"/> after the reply;
    /// <see cref="OperationStatus.NeedMoreData"/> when the reply is incomplete (nothing consumed);
    /// <see cref="OperationStatus.InvalidData"/> with <paramref name="error"/> when the bytes are not a valid reply.</returns>
    public static OperationStatus TryParse(in ReadOnlySequence<byte> buffer, out SequencePosition consumed, out SmtpReply? reply, out string? error)
    {
        // Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
        // Reply-code = %x32-35 %x30-35 %x30-39
        var reader = new SequenceReader<byte>(buffer);
        consumed = buffer.Start;
        reply = null;
        error = null;
        int code = 0;
        List<string>? lines = null;
        while (true)
        {
            if (!reader.TryReadTo(out ReadOnlySequence<byte> lineSeq, (byte)'\n', advancePastDelimiter: true))
            {
                if (reader.Remaining > MaxLineLength)
                {
                    error = $"reply line longer than {MaxLineLength} bytes";
                    return OperationStatus.InvalidData;
                }
                return OperationStatus.NeedMoreData;
            }
            if (lineSeq.Length + 1 > MaxLineLength)
            {
                error = $"reply line longer than {MaxLineLength} bytes";
                return OperationStatus.InvalidData;
            }
            byte[]? rented = null;
            try
            {
                ReadOnlySpan<byte> line;
                if (lineSeq.IsSingleSegment)
                {
                    line = lineSeq.FirstSpan;
                }
                else
                {
                    rented = ArrayPool<byte>.Shared.Rent((int)lineSeq.Length);
                    lineSeq.CopyTo(rented);
                    line = rented.AsSpan(0, (int)lineSeq.Length);
                }
                if (line.Length > 0 && line[^1] == (byte)'\r')
                {
                    line = line[..^1];
                }
                if (!TryParseCode(line, out int lineCode))
                {
                    error = $"malformed reply line \"{Printable(line)}\"";
                    return OperationStatus.InvalidData;
                }
                if (code != 0 && lineCode != code)
                {
                    error = $"reply code changed from {code} to {lineCode} within a multi-line reply";
                    return OperationStatus.InvalidData;
                }
                code = lineCode;
                bool last;
                ReadOnlySpan<byte> text;
                if (line.Length == 3)
                {
                    last = true;
                    text = [];
                }
                else if (line[3] is (byte)' ' or (byte)'-')
                {
                    last = line[3] == (byte)' ';
                    text = line[4..];
                }
                else
                {
                    error = $"malformed reply line \"{Printable(line)}\"";
                    return OperationStatus.InvalidData;
                }
                lines ??= new List<string>(1);
                if (lines.Count >= MaxLines)
                {
                    error = $"reply has more than {MaxLines} lines";
                    return OperationStatus.InvalidData;
                }
                lines.Add(s_utf8.GetString(text));
                if (last)
                {
                    break;
                }
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }
        consumed = reader.Position;
        // The reply as received, for users who need more than the escaped text.
        reply = Build(code, lines, buffer.Slice(buffer.Start, consumed).ToArray());
        return OperationStatus.Done;
    }

    private static SmtpReply Build(int code, List<string> lines, byte[] raw)
    {
        // RFC 2034: the enhanced code follows the reply code on every line; its class matches the reply's first digit.
        EnhancedStatusCode? enhanced = null;
        if (EnhancedStatusCode.TryParse(lines[0].AsSpan(), out var parsed, out _) && parsed.Class == code / 100)
        {
            enhanced = parsed;
            for (int i = 0; i < lines.Count; i++)
            {
                string line = lines[i];
                if (EnhancedStatusCode.TryParse(line.AsSpan(), out _, out int length))
                {
                    lines[i] = length < line.Length ? line[(length + 1)..] : "";
                }
            }
        }
        return new SmtpReply(code, enhanced, lines) { RawBytes = raw };
    }

    private static bool TryParseCode(ReadOnlySpan<byte> line, out int code)
    {
        code = 0;
        if (line.Length < 3
            || line[0] is < (byte)'2' or > (byte)'5'
            || line[1] is < (byte)'0' or > (byte)'5'
            || line[2] is < (byte)'0' or > (byte)'9')
        {
            return false;
        }
        code = ((line[0] - '0') * 100) + ((line[1] - '0') * 10) + (line[2] - '0');
        return true;
    }

    private static string Printable(ReadOnlySpan<byte> line) => SafeText.Excerpt(line, 64);
}
