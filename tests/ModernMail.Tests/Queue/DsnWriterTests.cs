using System.Text;
using MimeKit;
using ModernMail.Queue;
using ModernMail.Queue.Internal;
using Xunit;

namespace ModernMail.Tests.Queue;

public class DsnWriterTests
{
    [Fact]
    public void Dates_AreRfc5322InUtc_FromTheSharedFormatter()
    {
        var arrival = new DateTimeOffset(2026, 3, 5, 1, 2, 3, TimeSpan.FromHours(2)); // 4 Mar 23:02:03 UTC
        var now = new DateTimeOffset(2026, 3, 9, 14, 0, 0, TimeSpan.FromHours(-5));
        byte[] dsn = DsnWriter.Create("queue.example.test", "sender@sender.test", arrival, now,
            [new FailedRecipient("nobody@a.test", RecipientState.Bounced, null, "550 5.1.1 No such user", null)],
            "Subject: x\r\n"u8, "seed");
        string text = Encoding.ASCII.GetString(dsn);

        Assert.Contains("\r\nDate: Mon, 9 Mar 2026 19:00:00 +0000\r\n", text);
        Assert.Contains("\r\nArrival-Date: Wed, 4 Mar 2026 23:02:03 +0000\r\n", text);
        Assert.Equal(now, MimeMessage.Load(new MemoryStream(dsn), TestContext.Current.CancellationToken).Date);
    }
}
