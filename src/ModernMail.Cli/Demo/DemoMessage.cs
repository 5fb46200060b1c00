using System.Net.Mail;
using System.Net.Mime;

namespace ModernMail.Cli.Demo;

/// <summary>The seed's sample message: an HTML body, a plain-text alternative and an image attachment.</summary>
internal static class DemoMessage
{
    public static MailMessage Create(MailAddress from, MailAddress to, MailAddress cc)
    {
        var message = new MailMessage { From = from };
        message.To.Add(to);
        message.CC.Add(cc);
        message.Subject = "Hello World!";
        message.Body = "<div>Hello,</div><br><br>" +
            "<div>This is a test e-mail with a file attached.</div><br><br>" +
            "<div>Regards,</div><br><div>System Administrator</div>";
        message.IsBodyHtml = true;

        string plain = "Hello,\n\nThis is a test e-mail with a file attached.\n\n" +
            "Regards,\nSystem Administrator";
        message.AlternateViews.Add(AlternateView.CreateAlternateViewFromString(plain, new ContentType("text/plain")));

        var image = new MemoryStream(GradientPng.Create(64, 64));
        message.Attachments.Add(new Attachment(image, "pretty-image.png", "image/png"));
        return message;
    }
}
