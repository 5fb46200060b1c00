using System.Net.Mail;
using System.Net.Mime;
using System.Runtime.CompilerServices;
using System.Text;
using Xunit;
using static ModernMail.Tests.Mime.MimeTestSupport;

namespace ModernMail.Tests.Mime;

/// <summary>
/// Byte-exact output for representative messages (fake clock, seeded Random). After an intended change,
/// regenerate with <c>UPDATE_GOLDEN=1 dotnet test tests/ModernMail.Tests</c> and review the diff.
/// </summary>
public class GoldenTests
{
    public static TheoryData<string> Cases => ["seed-sample", "plain-ascii", "unicode-headers", "related-inline", "empty"];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Output_MatchesGoldenFile(string name)
    {
        using MailMessage msg = Build(name);
        byte[] actual = Render(msg);
        string path = Path.Combine(GoldenDirectory(), name + ".eml");

        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllBytes(path, actual);
        }

        Assert.True(File.Exists(path), $"missing {path}; run with UPDATE_GOLDEN=1");
        byte[] expected = File.ReadAllBytes(path);
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(actual));
        Assert.Equal(expected, actual);
        AssertWireDiscipline(actual);
        AssertHeaderLinesFolded(actual);
        Assert.NotNull(Parse(actual));
    }

    private static string GoldenDirectory([CallerFilePath] string thisFile = "") => Path.Combine(Path.GetDirectoryName(thisFile)!, "Golden");

    private static MailMessage Build(string name)
    {
        switch (name)
        {
            case "seed-sample":
                return SeedSample();

            case "plain-ascii":
                return new MailMessage("alice@example.com", "bob@example.org", "Lunch?", "Hi Bob,\n\nLunch at noon?\n\nAlice\n");

            case "unicode-headers":
                {
                    var msg = new MailMessage
                    {
                        From = new MailAddress("jose@example.com", "José Ñandú"),
                        Subject = "Grüße 😀 — a subject that is long enough to need folding across more than one line 日本語",
                        Body = "Ünïcödé body with a very long line that has to be wrapped by quoted-printable soft line breaks, and emoji 🎉.\n",
                        Priority = MailPriority.High,
                    };
                    msg.To.Add(new MailAddress("a@example.com", "Doe, John"));
                    msg.To.Add(new MailAddress("b@example.com", "Zoë \"Z\" Smith"));
                    msg.To.Add(new MailAddress("c@bücher.de"));
                    msg.CC.Add(new MailAddress("d@example.com", "Dr. Who"));
                    msg.Bcc.Add("hidden@example.com");
                    msg.ReplyToList.Add("replies@example.com");
                    msg.Headers.Add("X-Mailer", "ModernMail golden test");
                    msg.Headers.Add("List-Unsubscribe", "<mailto:unsubscribe@example.com?subject=unsubscribe>, <https://example.com/unsubscribe/0123456789abcdef>");
                    return msg;
                }

            case "related-inline":
                {
                    var msg = new MailMessage("news@example.com", "reader@example.org", "Newsletter", "Plain version.\n");
                    var html = AlternateView.CreateAlternateViewFromString("<html><body><img src=\"cid:logo\"><p>Hello</p></body></html>", null, MediaTypeNames.Text.Html);
                    html.LinkedResources.Add(new LinkedResource(new MemoryStream(Png(4, 4)), MediaTypeNames.Image.Png) { ContentId = "logo" });
                    msg.AlternateViews.Add(html);
                    var inline = new Attachment(new MemoryStream(Png(2, 2)), "Überweisungsbestätigung für das Geschäftsjahr 2026 – endgültige Fassung.png", MediaTypeNames.Image.Png)
                    {
                        ContentId = "inline1",
                    };
                    inline.ContentDisposition!.Inline = true;
                    msg.Attachments.Add(inline);
                    msg.Attachments.Add(Attachment.CreateAttachmentFromString("a,b\n1,2\n", "data.csv", Encoding.ASCII, "text/csv"));
                    return msg;
                }

            case "empty":
                return new MailMessage { From = new MailAddress("nobody@example.com") };

            default:
                throw new ArgumentOutOfRangeException(nameof(name));
        }
    }
}
