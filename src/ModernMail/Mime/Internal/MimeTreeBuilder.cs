using System.Net.Mail;
using System.Net.Mime;

namespace ModernMail.Mime.Internal;

/// <summary>Turns a <see cref="MailMessage"/> into the smallest MIME tree that carries it.</summary>
/// <remarks>
/// One body: a single part. Body plus alternate views: multipart/alternative, text/plain first.
/// A view with linked resources: multipart/related around it. Attachments: multipart/mixed outside.
/// A message/* part (other than message/global) goes 7bit or 8bit as it is (RFC 2045 §6.4); multipart/* leaves are refused by the validator.
/// No body at all and nothing else: an empty text/plain part.
/// </remarks>
internal static class MimeTreeBuilder
{
    /// <summary>Builds the tree; boundaries are drawn from <paramref name="random"/> in a fixed order.</summary>
    public static MimeEntity Build(MailMessage message, MimeRandom random)
    {
        var views = new List<MimeEntity>();
        bool hasBody = !string.IsNullOrEmpty(message.Body);
        if (hasBody || (message.AlternateViews.Count == 0 && message.Attachments.Count == 0))
        {
            var parameters = new List<KeyValuePair<string, string>> { new("charset", "utf-8") };
            views.Add(new LeafEntity(
                message.IsBodyHtml ? "text/html" : "text/plain",
                parameters,
                new ContentSource.Text(message.Body ?? ""),
                isText: true,
                message.BodyTransferEncoding,
                base64IsExplicit: true));
        }

        for (int i = 0; i < message.AlternateViews.Count; i++)
        {
            AlternateView view = message.AlternateViews[i];
            LeafEntity leaf = FromView(view, $"AlternateViews[{i}].ContentStream");
            if (view.LinkedResources.Count == 0)
            {
                views.Add(leaf);
                continue;
            }

            var related = new List<MimeEntity> { leaf };
            for (int j = 0; j < view.LinkedResources.Count; j++)
            {
                LinkedResource resource = view.LinkedResources[j];
                related.Add(new LeafEntity(resource.ContentType.MediaType, OtherParameters(resource.ContentType, includeCharset: true), new ContentSource.FromStream(resource.ContentStream), isText: false, TransferEncoding.Base64, base64IsExplicit: true)
                {
                    ContentId = resource.ContentId,
                    Field = $"AlternateViews[{i}].LinkedResources[{j}].ContentStream",
                });
            }

            views.Add(new MultipartEntity("related", random.Boundary(), related, leaf.MediaType));
        }

        // Stable: plain text first, everything else in the order given.
        var ordered = new List<MimeEntity>(views.Count);
        ordered.AddRange(views.Where(v => v.IsPlainText));
        ordered.AddRange(views.Where(v => !v.IsPlainText));

        MimeEntity? body = ordered.Count switch
        {
            0 => null,
            1 => ordered[0],
            _ => new MultipartEntity("alternative", random.Boundary(), ordered),
        };

        if (message.Attachments.Count == 0)
        {
            // An empty message still gets its empty text/plain part above, so body is set here.
            return body ?? throw new InvalidOperationException("A message without attachments always has a body part.");
        }

        var mixed = new List<MimeEntity>();
        if (body is not null)
        {
            mixed.Add(body);
        }

        for (int i = 0; i < message.Attachments.Count; i++)
        {
            mixed.Add(FromAttachment(message.Attachments[i], $"Attachments[{i}].ContentStream"));
        }

        return new MultipartEntity("mixed", random.Boundary(), mixed);
    }

    /// <summary>The file name an attachment is written with: Content-Disposition's, else its Name, else null.</summary>
    public static string? FileName(Attachment attachment)
    {
        string? name = attachment.ContentDisposition?.FileName;
        if (string.IsNullOrEmpty(name))
        {
            name = attachment.Name;
        }

        return string.IsNullOrEmpty(name) ? null : name;
    }

    private static LeafEntity FromView(AlternateView view, string field)
    {
        ContentType type = view.ContentType;
        bool isText = type.MediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase);
        List<KeyValuePair<string, string>> parameters = OtherParameters(type, includeCharset: !isText);
        string? charset = type.CharSet;
        if (isText)
        {
            parameters.Insert(0, new("charset", string.IsNullOrEmpty(charset) ? "utf-8" : charset));

            // UTF-16/32 text is not ASCII-compatible: line breaks cannot be rewritten byte-wise, so send it as binary.
            if (charset is not null && (charset.Contains("16", StringComparison.Ordinal) || charset.Contains("32", StringComparison.Ordinal)
                || charset.Equals("unicode", StringComparison.OrdinalIgnoreCase)))
            {
                isText = false;
            }
        }

        // .NET gives every AlternateView TransferEncoding.Base64 by default, so base64 there means "choose for me".
        return new LeafEntity(type.MediaType, parameters, new ContentSource.FromStream(view.ContentStream), isText, view.TransferEncoding, base64IsExplicit: false)
        {
            Field = field,
        };
    }

    private static LeafEntity FromAttachment(Attachment attachment, string field)
    {
        bool inline = attachment.ContentDisposition?.Inline ?? false;
        return new LeafEntity(attachment.ContentType.MediaType, OtherParameters(attachment.ContentType, includeCharset: true), new ContentSource.FromStream(attachment.ContentStream), isText: false, TransferEncoding.Base64, base64IsExplicit: true)
        {
            Field = field,
            Disposition = inline ? "inline" : "attachment",
            FileName = FileName(attachment),

            // Reading ContentId invents a GUID when none was set, so only inline attachments (which need one) ask.
            ContentId = inline ? attachment.ContentId : null,
        };
    }

    /// <summary>The Content-Type parameters we pass through: all but those we write ourselves, sorted for deterministic output.</summary>
    private static List<KeyValuePair<string, string>> OtherParameters(ContentType type, bool includeCharset)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (string key in type.Parameters.Keys)
        {
            if (key is "boundary" or "name" or "charset")
            {
                continue;
            }

            result.Add(new(key, type.Parameters[key] ?? ""));
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        if (includeCharset && !string.IsNullOrEmpty(type.CharSet))
        {
            result.Insert(0, new("charset", type.CharSet));
        }

        return result;
    }
}
