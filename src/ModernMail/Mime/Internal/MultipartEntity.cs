using System.Text;

namespace ModernMail.Mime.Internal;

/// <summary>A multipart/* entity (RFC 2046 §5.1) with its own random boundary.</summary>
internal sealed class MultipartEntity(string subtype, string boundary, IReadOnlyList<MimeEntity> parts, string? rootType = null) : MimeEntity
{
    /// <inheritdoc/>
    public override bool IsPlainText => parts.Count > 0 && parts[0].IsPlainText;

    /// <inheritdoc/>
    public override async Task PrepareAsync(bool allow8Bit, CancellationToken cancellationToken)
    {
        foreach (MimeEntity part in parts)
        {
            await part.PrepareAsync(allow8Bit, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override void AppendHeaders(HeaderFolder folder)
    {
        folder.Begin("Content-Type");
        folder.Append(" ", "multipart/" + subtype);
        folder.AppendGlued(";");
        folder.Append(" ", "boundary=\"" + boundary + "\"");
        if (rootType is not null)
        {
            // RFC 2387 §3.1: multipart/related names the media type of its root part.
            MimeParameters.Append(folder, "type", rootType);
        }

        folder.End();
    }

    /// <inheritdoc/>
    public override async Task WriteBodyAsync(BufferedStreamWriter writer, CancellationToken cancellationToken)
    {
        var headers = new StringBuilder(256);
        for (int i = 0; i < parts.Count; i++)
        {
            headers.Clear();
            headers.Append(i == 0 ? "--" : "\r\n--").Append(boundary).Append("\r\n");
            parts[i].AppendHeaders(new HeaderFolder(headers));
            headers.Append("\r\n");
            await writer.WriteAsync(headers.ToString(), cancellationToken).ConfigureAwait(false);
            await parts[i].WriteBodyAsync(writer, cancellationToken).ConfigureAwait(false);
        }

        await writer.WriteAsync("\r\n--" + boundary + "--\r\n", cancellationToken).ConfigureAwait(false);
    }
}
