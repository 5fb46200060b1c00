using System.Buffers;
using System.Text;
using ModernMail.Smtp;
using ModernMail.Smtp.Internal;
using Xunit;

namespace ModernMail.Tests.Delivery;

/// <summary>Turns a reply as printed in documentation ("550-5.1.1 first line\n550 5.1.1 last line") into the
/// <see cref="SmtpReply"/> the client's own parser makes of it.</summary>
internal static class ReplyText
{
    public static SmtpReply Parse(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n");
        var status = SmtpReplyParser.TryParse(new ReadOnlySequence<byte>(bytes), out _, out var reply, out string? error);
        Assert.True(status == OperationStatus.Done, $"\"{text}\" is not a complete reply: {error ?? status.ToString()}");
        return reply!;
    }

    /// <summary>True when <paramref name="text"/> starts with a three-digit reply code (else it is "status reason").</summary>
    public static bool IsReply(string text) => text.Length >= 3 && char.IsAsciiDigit(text[0]) && char.IsAsciiDigit(text[1]) && char.IsAsciiDigit(text[2])
        && (text.Length == 3 || text[3] is ' ' or '-');

    /// <summary>Splits "4.4.1 reason" into the status and the reason.</summary>
    public static (EnhancedStatusCode Status, string Detail) ParseFailure(string text)
    {
        Assert.True(EnhancedStatusCode.TryParse(text.AsSpan(), out var status, out int length), $"\"{text}\" starts with neither a reply code nor a status");
        return (status, text[Math.Min(length + 1, text.Length)..]);
    }
}
