namespace ModernMail.Mime.Internal;

/// <summary>One node of the MIME tree: its Content-* header fields and its body.</summary>
internal abstract class MimeEntity
{
    /// <summary>Orders alternatives: text/plain sorts before everything else (RFC 2046 §5.1.4: richest last).</summary>
    public abstract bool IsPlainText { get; }

    /// <summary>Decides the transfer encodings (may read seekable streams once to look at the content).</summary>
    public abstract Task PrepareAsync(bool allow8Bit, CancellationToken cancellationToken);

    /// <summary>Appends Content-Type and the other Content-* fields.</summary>
    public abstract void AppendHeaders(HeaderFolder folder);

    /// <summary>Writes the body (after the blank line).</summary>
    public abstract Task WriteBodyAsync(BufferedStreamWriter writer, CancellationToken cancellationToken);
}
