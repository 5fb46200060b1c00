using System;
using System.Collections.Generic;
using System.Text;
using ModernMail.Delivery;
using ModernMail.Mime.Internal;
using ModernMail.Smtp;

namespace ModernMail.Queue.Internal;

/// <summary>One failed recipient to report in a delivery status notification.</summary>
internal sealed record FailedRecipient(string Address, RecipientState State, SmtpReply? Reply, string Detail, string? RemoteMta, BounceCategory Category = BounceCategory.None);

/// <summary>Writes RFC 3464 delivery status notifications (multipart/report; report-type=delivery-status, RFC 6522).</summary>
internal static class DsnWriter
{
    private const int MaxOriginalHeaderBytes = 64 * 1024;

    /// <summary>Builds the bounce for <paramref name="failed"/> recipients of a message from <paramref name="originalSender"/>.</summary>
    public static byte[] Create(string hostName, string originalSender, DateTimeOffset arrival, DateTimeOffset now,
        IReadOnlyList<FailedRecipient> failed, ReadOnlySpan<byte> originalHeaders, string boundarySeed)
    {
        string boundary = "=_mm_dsn_" + boundarySeed;
        string date = FormatDate(now);
        var text = new StringBuilder(2048);
        void Line(string value) => text.Append(value).Append("\r\n");

        Line($"From: Mail Delivery System <MAILER-DAEMON@{hostName}>");
        Line($"To: <{originalSender}>");
        Line("Subject: Undelivered Mail Returned to Sender");
        Line($"Date: {date}");
        Line($"Message-ID: <{boundarySeed}.dsn@{hostName}>");
        Line("Auto-Submitted: auto-replied");
        Line("MIME-Version: 1.0");
        Line($"Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"");
        Line("");
        Line("This is a MIME-encapsulated delivery status notification.");
        Line("");
        Line("--" + boundary);
        Line("Content-Type: text/plain; charset=us-ascii");
        Line("Content-Description: Notification");
        Line("");
        Line($"This is the mail system at host {hostName}.");
        Line("");
        Line("Your message could not be delivered to one or more recipients.");
        Line("");
        foreach (var recipient in failed)
        {
            string why = recipient.State == RecipientState.Expired
                ? "delivery kept failing temporarily until the message expired; last error: " + recipient.Detail
                : recipient.Detail;
            Line($"<{Ascii(recipient.Address)}>: {Ascii(why)}");
        }
        Line("");
        Line("--" + boundary);
        Line("Content-Type: message/delivery-status");
        Line("Content-Description: Delivery report");
        Line("");
        Line($"Reporting-MTA: dns; {hostName}");
        Line($"Arrival-Date: {FormatDate(arrival)}");
        foreach (var recipient in failed)
        {
            Line("");
            Line($"Final-Recipient: rfc822; {Ascii(recipient.Address)}");
            Line("Action: failed");
            Line($"Status: {Status(recipient)}");
            if (recipient.RemoteMta is { Length: > 0 } mta)
            {
                Line($"Remote-MTA: dns; {Ascii(mta)}");
            }
            if (recipient.Reply is { } reply)
            {
                Line($"Diagnostic-Code: smtp; {Ascii(reply.ToString())}");
            }
            else
            {
                Line($"Diagnostic-Code: x-modernmail; {Ascii(recipient.Detail)}");
            }
            Line($"Last-Attempt-Date: {date}");
            if (recipient.Category != BounceCategory.None)
            {
                // An RFC 3464 §3.3 extension field: the bounce class, for programs that read the report.
                Line($"X-ModernMail-Category: {recipient.Category}");
            }
            if (recipient.State == RecipientState.Expired)
            {
                Line($"Will-Retry-Until: {date}");
            }
        }
        Line("");
        Line("--" + boundary);
        Line("Content-Type: text/rfc822-headers");
        Line("Content-Description: Undelivered message headers");
        Line("");
        var bytes = new List<byte>(text.Length + originalHeaders.Length + 128);
        bytes.AddRange(Encoding.ASCII.GetBytes(text.ToString()));
        bytes.AddRange(HeaderBlock(originalHeaders).ToArray());
        bytes.AddRange(Encoding.ASCII.GetBytes("\r\n--" + boundary + "--\r\n"));
        return bytes.ToArray();
    }

    /// <summary>The header section of a raw message (up to, not including, the empty line), ending in CRLF, capped at 64 KiB.</summary>
    public static ReadOnlySpan<byte> HeaderBlock(ReadOnlySpan<byte> message)
    {
        int end = message.IndexOf("\r\n\r\n"u8);
        var headers = end >= 0 ? message[..(end + 2)] : message;
        if (headers.Length > MaxOriginalHeaderBytes)
        {
            int cut = headers[..MaxOriginalHeaderBytes].LastIndexOf("\r\n"u8);
            headers = headers[..(cut > 0 ? cut + 2 : MaxOriginalHeaderBytes)];
        }
        return headers;
    }

    /// <summary>Reads at most the first 64 KiB of a message: enough for its header section.</summary>
    public static async Task<byte[]> ReadHeadAsync(Stream message, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxOriginalHeaderBytes + 4];
        int total = 0;
        while (total < buffer.Length)
        {
            int read = await message.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            total += read;
        }
        return buffer.AsSpan(0, total).ToArray();
    }

    private static string Status(FailedRecipient recipient)
    {
        if (recipient.State == RecipientState.Expired)
        {
            // RFC 3463 X.4.7: delivery time expired.
            return "4.4.7";
        }
        if (recipient.Reply is { Enhanced: { } enhanced } && enhanced.Class == 5)
        {
            return enhanced.ToString();
        }
        return "5.0.0";
    }

    // The one RFC 5322 date formatter; DSN dates are given in UTC (+0000).
    internal static string FormatDate(DateTimeOffset time) => DateFormatter.Format(time.ToUniversalTime());

    private static string Ascii(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (char c in value)
        {
            builder.Append(c is >= ' ' and <= '~' ? c : '?');
        }
        return builder.ToString();
    }
}
