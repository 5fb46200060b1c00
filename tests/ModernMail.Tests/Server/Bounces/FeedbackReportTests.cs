using System.Text;
using MimeKit;
using ModernMail.Delivery;
using ModernMail.Queue;
using ModernMail.Server.Bounces;
using Xunit;

namespace ModernMail.Tests.Server.Bounces;

/// <summary>Reports shaped like the ones Postfix, Exchange Online and Gmail send, and an ARF abuse report.</summary>
public sealed class FeedbackReportTests
{
    [Fact]
    public void PostfixDsn_UserUnknown_IsAnInvalidRecipientBounce()
    {
        var report = Read(Dsn("failed", "5.1.1", "smtp; 550 5.1.1 <a@b.test>: Recipient address rejected: User unknown in virtual mailbox table"));
        Assert.NotNull(report);
        Assert.Equal(QueueEventType.Bounced, report.Type);
        Assert.Equal(BounceCategory.InvalidRecipient, report.Category);
        Assert.Contains("User unknown", report.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ExchangeDsn_WithoutASpaceAfterSmtp_IsRead()
    {
        var report = Read(Dsn("failed", "5.1.10", "smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"));
        Assert.Equal(BounceCategory.InvalidRecipient, report?.Category);
    }

    [Fact]
    public void GmailDsn_AMultiLineReplyUnfolded_IsReadAsOneReply()
    {
        var report = Read(Dsn("failed", "5.2.2", """
            smtp; 552-5.2.2 The recipient's inbox is out of storage space. Please direct
             552-5.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaPerm
             552 5.2.2 x - gsmtp
            """));
        Assert.Equal(BounceCategory.MailboxFull, report?.Category);
    }

    [Fact]
    public void DsnWithoutAReply_FallsBackToItsStatus()
    {
        var report = Read(Dsn("failed", "5.4.4", "X-Postfix; Host or domain name not found. Name service error for name=nx.test type=MX: Host not found"));
        Assert.Equal(QueueEventType.Bounced, report?.Type);
        Assert.Equal(BounceCategory.BadDomain, report?.Category);
    }

    [Theory]
    [InlineData("delayed")]
    [InlineData("delivered")]
    [InlineData("relayed")]
    public void DsnThatIsNoFailure_IsNoReport(string action) =>
        Assert.Null(Read(Dsn(action, "2.0.0", "smtp; 250 2.0.0 Ok")));

    [Fact]
    public void ArfAbuseReport_IsAComplaint()
    {
        var report = Read("""
            From: fbl@isp.test
            To: bounces+x@b.test
            Subject: complaint
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=feedback-report; boundary="f"

            --f
            Content-Type: text/plain

            An abuse report.
            --f
            Content-Type: message/feedback-report

            Feedback-Type: abuse
            User-Agent: SomeFBL/2.1
            Version: 1

            --f
            Content-Type: text/rfc822-headers

            From: news@sender.test

            --f--
            """);
        Assert.Equal(QueueEventType.Complained, report?.Type);
        Assert.Equal("feedback report: abuse SomeFBL/2.1", report?.Detail);
    }

    [Fact]
    public void PlainMessage_IsNoReport() =>
        Assert.Null(Read("From: a@b.test\nSubject: Out of office\n\nI am away until Monday.\n"));

    private static FeedbackReport? Read(string text)
    {
        using var message = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n"))), TestContext.Current.CancellationToken);
        return FeedbackReport.Read(message);
    }

    private static string Dsn(string action, string status, string diagnostic) => $"""
        From: MAILER-DAEMON@mx.test
        To: bounces+x@b.test
        Subject: Undelivered Mail Returned to Sender
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary="d"

        --d
        Content-Type: text/plain

        Sorry.
        --d
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mx.test

        Final-Recipient: rfc822; a@b.test
        Action: {action}
        Status: {status}
        Diagnostic-Code: {diagnostic}

        --d--
        """;
}
