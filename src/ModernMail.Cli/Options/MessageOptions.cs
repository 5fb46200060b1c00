using System.CommandLine;
using System.Net.Mail;
using System.Net.Mime;
using System.Text;

namespace ModernMail.Cli.Options;

/// <summary>The options that describe one message (shared by <c>send</c> and <c>render</c>) and how they become a <see cref="MailMessage"/>.</summary>
internal sealed class MessageOptions
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public Option<string> From { get; } = new("--from")
    {
        Description = "The author, \"Name <addr@example.com>\" or \"addr@example.com\"; also the envelope sender.",
        Required = true,
    };

    public Option<string[]> To { get; } = Repeatable("--to", "A primary recipient (repeatable).");

    public Option<string[]> Cc { get; } = Repeatable("--cc", "A carbon-copy recipient (repeatable).");

    public Option<string[]> Bcc { get; } = Repeatable("--bcc", "A blind-copy recipient: gets the message, is not written in it (repeatable).");

    public Option<string> Subject { get; } = new("--subject") { Description = "The subject line (UTF-8 is fine)." };

    public Option<string> Text { get; } = new("--text") { Description = "The plain-text body from FILE, or from standard input with \"-\".", HelpName = "FILE|-" };

    public Option<string> Html { get; } = new("--html") { Description = "The HTML body from FILE; with --text both go out as multipart/alternative.", HelpName = "FILE" };

    public Option<string[]> Attach { get; } = Repeatable("--attach", "Attach FILE (repeatable).", "FILE");

    public Option<string[]> Header { get; } = Repeatable("--header", "An extra header field, \"Name: value\" (repeatable).", "\"Name: value\"");

    /// <summary>Adds every message option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(From);
        command.Options.Add(To);
        command.Options.Add(Cc);
        command.Options.Add(Bcc);
        command.Options.Add(Subject);
        command.Options.Add(Text);
        command.Options.Add(Html);
        command.Options.Add(Attach);
        command.Options.Add(Header);
    }

    /// <summary>Builds the message; every problem is a <see cref="UsageException"/> that names the option and value.</summary>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="stdin">Where "--text -" reads from.</param>
    /// <param name="requireRecipient">True for <c>send</c>: at least one of --to, --cc, --bcc.</param>
    public MailMessage Build(ParseResult parse, TextReader stdin, bool requireRecipient)
    {
        var message = new MailMessage();
        try
        {
            message.From = ParseAddress("--from", parse.GetValue(From) ?? "");
            AddAddresses(message.To, "--to", parse.GetValue(To));
            AddAddresses(message.CC, "--cc", parse.GetValue(Cc));
            AddAddresses(message.Bcc, "--bcc", parse.GetValue(Bcc));
            if (requireRecipient && message.To.Count + message.CC.Count + message.Bcc.Count == 0)
            {
                throw new UsageException("No recipient: give at least one --to, --cc or --bcc.");
            }

            string? subject = parse.GetValue(Subject);
            if (subject is not null)
            {
                message.Subject = subject;
                message.SubjectEncoding = Encoding.UTF8;
            }

            SetBodies(message, parse.GetValue(Text), parse.GetValue(Html), stdin);
            foreach (string header in parse.GetValue(Header) ?? [])
            {
                AddHeader(message, header);
            }

            foreach (string path in parse.GetValue(Attach) ?? [])
            {
                message.Attachments.Add(OpenAttachment(path));
            }

            return message;
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    /// <summary>Parses one address the way <see cref="MailAddress"/> does, naming the option on failure.</summary>
    public static MailAddress ParseAddress(string option, string value)
    {
        if (value.AsSpan().ContainsAny('\r', '\n', '\0'))
        {
            throw new UsageException($"{option}: the address contains a line break or NUL.");
        }

        if (!MailAddress.TryCreate(value.Trim(), out MailAddress? address) || address.Host.Length == 0 || address.User.Length == 0)
        {
            throw new UsageException($"{option}: \"{value}\" is not a valid e-mail address (expected addr@example.com or \"Name <addr@example.com>\").");
        }

        return address;
    }

    private static Option<string[]> Repeatable(string name, string description, string? helpName = null) => new(name)
    {
        Description = description,
        HelpName = helpName,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    private static void AddAddresses(MailAddressCollection collection, string option, string[]? values)
    {
        foreach (string value in values ?? [])
        {
            collection.Add(ParseAddress(option, value));
        }
    }

    private static void SetBodies(MailMessage message, string? textPath, string? htmlPath, TextReader stdin)
    {
        string? text = textPath is null ? null : ReadText("--text", textPath, stdin);
        string? html = htmlPath is null ? null : ReadText("--html", htmlPath, stdin);
        if (html is null)
        {
            message.Body = text ?? "";
            message.BodyEncoding = Encoding.UTF8;
            return;
        }

        // The seed's shape: the HTML is the body, the plain text an alternative (the writer puts text/plain first).
        message.Body = html;
        message.IsBodyHtml = true;
        message.BodyEncoding = Encoding.UTF8;
        if (text is not null)
        {
            message.AlternateViews.Add(AlternateView.CreateAlternateViewFromString(text, Encoding.UTF8, MediaTypeNames.Text.Plain));
        }
    }

    private static string ReadText(string option, string path, TextReader stdin)
    {
        if (path == "-")
        {
            return stdin.ReadToEnd();
        }

        try
        {
            return File.ReadAllText(path, s_strictUtf8);
        }
        catch (DecoderFallbackException)
        {
            throw new UsageException($"{option}: \"{path}\" is not UTF-8 text.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"{option}: cannot read \"{path}\": {ex.Message}", ex);
        }
    }

    private static void AddHeader(MailMessage message, string header)
    {
        int colon = header.IndexOf(':', StringComparison.Ordinal);
        string name = colon < 0 ? "" : header[..colon].Trim();
        if (name.Length == 0)
        {
            throw new UsageException($"--header: \"{header}\" is not \"Name: value\".");
        }

        // RFC 5322 §3.6.8: field-name = 1*ftext, printable US-ASCII except ":".
        foreach (char c in name)
        {
            if (c is < '!' or > '~')
            {
                throw new UsageException($"--header: the field name \"{name}\" may only contain printable ASCII without spaces.");
            }
        }

        string value = header[(colon + 1)..].Trim();
        if (value.AsSpan().ContainsAny('\r', '\n', '\0'))
        {
            throw new UsageException($"--header: the value of \"{name}\" contains a line break or NUL.");
        }

        message.Headers.Add(name, value);
    }

    private static Attachment OpenAttachment(string path)
    {
        FileStream stream;
        try
        {
            stream = File.OpenRead(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--attach: cannot read \"{path}\": {ex.Message}", ex);
        }

        return new Attachment(stream, Path.GetFileName(path), MediaTypes.FromFileName(path));
    }
}
