using System.Text.Json;
using MimeKit;
using ModernMail.Dkim;

namespace ModernMail.Server.Capture;

/// <summary>What the capture pages show of a stored message: envelope, header fields, text and HTML parts, attachments, the DKIM
/// verdict a receiver would reach (keys looked up in DNS like a receiver does), and the SMTP commands delivery would have sent.</summary>
internal sealed class CaptureView(string directory, DkimVerifier verifier, string hostName)
{
    /// <summary>Stored messages larger than this are listed but not parsed for display.</summary>
    public const long MaxShownSize = 10 * 1024 * 1024;

    public sealed record Part(string? FileName, string ContentType, long Size);

    /// <summary>One captured message in the list.</summary>
    public sealed record Entry(string Id, CapturedEnvelope Envelope, long Size, string? Subject);

    public sealed record Captured(Entry Message, IReadOnlyList<(string Name, string Value)> Headers, string? Text, string? Html,
        IReadOnlyList<Part> Attachments, IReadOnlyList<DkimVerificationResult> Dkim, IReadOnlyList<string> Transcript);

    /// <summary>The newest captured messages first.</summary>
    public async Task<IReadOnlyList<Entry>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }
        var entries = new List<Entry>();
        foreach (string file in Directory.GetFiles(directory, "*.eml").OrderDescending(StringComparer.Ordinal).Take(limit))
        {
            if (await EntryAsync(Path.GetFileNameWithoutExtension(file), cancellationToken).ConfigureAwait(false) is { } entry)
            {
                entries.Add(entry);
            }
        }
        return entries;
    }

    /// <summary>The captured message <paramref name="id"/> read for display; null when there is none (or it is too large to show).</summary>
    public async Task<Captured?> ReadAsync(string id, CancellationToken cancellationToken)
    {
        if (await EntryAsync(id, cancellationToken).ConfigureAwait(false) is not { } message || message.Size > MaxShownSize)
        {
            return null;
        }
        byte[] bytes = await File.ReadAllBytesAsync(Path.Combine(directory, id + ".eml"), cancellationToken).ConfigureAwait(false);
        IReadOnlyList<DkimVerificationResult> dkim;
        try
        {
            dkim = await verifier.VerifyAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (DkimException ex)
        {
            dkim = [new DkimVerificationResult(DkimSignatureStatus.PermError, ex.Message, null, null, null, null)];
        }
        using var mime = await MimeMessage.LoadAsync(new MemoryStream(bytes, writable: false), cancellationToken).ConfigureAwait(false);
        var attachments = mime.Attachments.OfType<MimePart>()
            .Select(p => new Part(p.FileName, p.ContentType.MimeType, p.Content?.Stream?.Length ?? 0)).ToList();
        return new Captured(message, [.. mime.Headers.Select(h => (h.Field, h.Value))], mime.TextBody, mime.HtmlBody, attachments, dkim,
            Transcript(message, bytes.Length));
    }

    /// <summary>The HTML part of captured message <paramref name="id"/> alone (for its frame: no DKIM lookup); null when it has none.</summary>
    public async Task<string?> ReadHtmlAsync(string id, CancellationToken cancellationToken)
    {
        if (await EntryAsync(id, cancellationToken).ConfigureAwait(false) is not { } message || message.Size > MaxShownSize)
        {
            return null;
        }
        using var mime = await MimeMessage.LoadAsync(Path.Combine(directory, id + ".eml"), cancellationToken).ConfigureAwait(false);
        return mime.HtmlBody;
    }

    /// <summary>The list entry of <paramref name="id"/>; null for an id this folder does not hold (or one that is not ours).</summary>
    private async Task<Entry?> EntryAsync(string id, CancellationToken cancellationToken)
    {
        // Ids are what CaptureTransport writes: hex and one dash. Anything else never reaches the file system.
        if (id.Length is < 10 or > 64 || id.AsSpan().ContainsAnyExcept("0123456789abcdef-"))
        {
            return null;
        }
        string eml = Path.Combine(directory, id + ".eml");
        string json = Path.Combine(directory, id + ".json");
        if (!File.Exists(eml) || !File.Exists(json))
        {
            return null;
        }
        var envelope = JsonSerializer.Deserialize<CapturedEnvelope>(await File.ReadAllTextAsync(json, cancellationToken).ConfigureAwait(false));
        if (envelope is null)
        {
            return null;
        }
        string? subject = null;
        using (var reader = new StreamReader(eml))
        {
            // The Subject field is among the first lines; unfolded continuation lines are joined.
            for (string? line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false); !string.IsNullOrEmpty(line);
                line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false))
            {
                if (line.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase))
                {
                    subject = MimeKit.Utils.Rfc2047.DecodeText(System.Text.Encoding.UTF8.GetBytes(line[8..].Trim()));
                }
            }
        }
        return new Entry(id, envelope, new FileInfo(eml).Length, subject);
    }

    /// <summary>The commands an SMTP delivery of this message would send (each recipient domain in its own transaction).</summary>
    private List<string> Transcript(Entry message, long size)
    {
        var lines = new List<string>();
        foreach (var domain in message.Envelope.Recipients.GroupBy(r => r[(r.LastIndexOf('@') + 1)..], StringComparer.OrdinalIgnoreCase))
        {
            lines.Add($"# {domain.Key}: MX lookup, connect, 220 greeting");
            lines.Add($"EHLO {hostName}");
            lines.Add("STARTTLS (when offered; the TLS policy decides whether it is required)");
            lines.Add($"MAIL FROM:<{message.Envelope.Sender}> SIZE={size}");
            lines.AddRange(domain.Select(r => $"RCPT TO:<{r}>"));
            lines.Add($"DATA ({size} bytes, then \".\")");
            lines.Add("QUIT");
        }
        return lines;
    }
}
