using System.Net.Mime;

namespace ModernMail.Mime.Internal;

/// <summary>A single-part entity: a text body, an alternate view, a linked resource or an attachment.</summary>
internal sealed class LeafEntity : MimeEntity
{
    private readonly string _mediaType;
    private readonly List<KeyValuePair<string, string>> _parameters;
    private readonly ContentSource _source;
    private readonly bool _isText;
    private readonly TransferEncoding _requested;
    private readonly bool _base64IsExplicit;
    private string _transferEncoding = "base64";
    private bool _normalizeLineBreaks;

    /// <summary>Creates a leaf; text parts get CRLF line breaks and a content-chosen encoding, others base64.</summary>
    public LeafEntity(string mediaType, List<KeyValuePair<string, string>> parameters, ContentSource source, bool isText, TransferEncoding requested, bool base64IsExplicit)
    {
        _mediaType = mediaType;
        _parameters = parameters;
        _source = source;
        _isText = isText;
        _requested = requested;
        _base64IsExplicit = base64IsExplicit;
    }

    /// <summary>The Content-ID (without angle brackets), or null.</summary>
    public string? ContentId { get; init; }

    /// <summary>"attachment" or "inline", or null for no Content-Disposition.</summary>
    public string? Disposition { get; init; }

    /// <summary>The filename parameter of Content-Disposition, or null.</summary>
    public string? FileName { get; init; }

    /// <summary>The media type, such as "text/html".</summary>
    public string MediaType => _mediaType;

    /// <summary>The chosen Content-Transfer-Encoding (after <see cref="PrepareAsync"/>).</summary>
    public string TransferEncodingName => _transferEncoding;

    /// <inheritdoc/>
    public override bool IsPlainText => string.Equals(_mediaType, "text/plain", StringComparison.OrdinalIgnoreCase);

    /// <summary>The field errors about the content name, such as "Attachments[0].ContentStream".</summary>
    public string Field { get; init; } = "Body";

    /// <inheritdoc/>
    public override async Task PrepareAsync(bool allow8Bit, CancellationToken cancellationToken)
    {
        if (MediaTypeRules.IsIdentityOnly(_mediaType))
        {
            await PrepareCompositeAsync(allow8Bit, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!_isText || (_requested == TransferEncoding.Base64 && _base64IsExplicit))
        {
            _transferEncoding = "base64";
            _normalizeLineBreaks = _isText;
            return;
        }

        _normalizeLineBreaks = true;
        if (_requested == TransferEncoding.QuotedPrintable)
        {
            _transferEncoding = "quoted-printable";
            return;
        }

        string? identity = null;
        switch (_source)
        {
            case ContentSource.Text text:
                var analysis = new TextAnalysis();
                analysis.Add(text.Value);
                identity = analysis.Identity(allow8Bit);
                break;
            case ContentSource.FromStream stream when stream.CanSeek:
                identity = (await stream.AnalyzeAsync(cancellationToken).ConfigureAwait(false)).Identity(allow8Bit);
                break;
        }

        _transferEncoding = identity switch
        {
            // Honour an explicit 8bit only when allowed; a 7bit-clean text may still be labelled 8bit.
            "7bit" when _requested == TransferEncoding.EightBit && allow8Bit => "8bit",
            null => "quoted-printable",
            _ => identity,
        };
    }

    /// <summary>A message/* body goes 7bit or 8bit as it is, line breaks made CRLF; content that cannot is refused.</summary>
    private async Task PrepareCompositeAsync(bool allow8Bit, CancellationToken cancellationToken)
    {
        // The validator refuses non-seekable composite content: the encoding must be known before the header is written.
        if (_source is not ContentSource.FromStream { CanSeek: true } stream)
        {
            throw new MailMessageFormatException(Field, $"{_mediaType} content must be a seekable stream, to be checked before it is written.");
        }

        TextAnalysis analysis = await stream.AnalyzeAsync(cancellationToken).ConfigureAwait(false);
        bool sevenBitOnly = MediaTypeRules.IsSevenBitOnly(_mediaType);
        string? identity = analysis.CompositeIdentity(allow8Bit && !sevenBitOnly, out string? problem);
        if (identity is null)
        {
            string rule = sevenBitOnly ? $"{_mediaType} must be 7bit (RFC 2046 §5.2)" : $"{_mediaType} can only be sent 7bit or 8bit, never base64 (RFC 2045 §6.4)";
            throw new MailMessageFormatException(Field, $"{rule}, but {problem}. Attach it as application/octet-stream to send it base64.");
        }

        _transferEncoding = identity;
        _normalizeLineBreaks = true;
    }

    /// <inheritdoc/>
    public override void AppendHeaders(HeaderFolder folder)
    {
        folder.Begin("Content-Type");
        folder.Append(" ", _mediaType);
        foreach (KeyValuePair<string, string> parameter in _parameters)
        {
            MimeParameters.Append(folder, parameter.Key, parameter.Value);
        }

        if (FileName is not null)
        {
            MimeParameters.Append(folder, "name", FileName);
        }

        folder.End();
        folder.Field("Content-Transfer-Encoding", _transferEncoding);
        if (Disposition is not null)
        {
            folder.Begin("Content-Disposition");
            folder.Append(" ", Disposition);
            if (FileName is not null)
            {
                MimeParameters.Append(folder, "filename", FileName);
            }

            folder.End();
        }

        if (ContentId is not null)
        {
            folder.Field("Content-ID", "<" + ContentId + ">");
        }
    }

    /// <inheritdoc/>
    public override Task WriteBodyAsync(BufferedStreamWriter writer, CancellationToken cancellationToken)
    {
        if (_source is ContentSource.FromStream stream)
        {
            stream.Rewind();
        }

        IStreamingEncoder? first = _normalizeLineBreaks ? new LineBreakNormalizer() : null;
        IStreamingEncoder? second = _transferEncoding switch
        {
            "base64" => new Base64LineEncoder(),
            "quoted-printable" => new QuotedPrintableEncoder(),
            _ => null,
        };
        return ContentPump.RunAsync(_source, writer, first, second, cancellationToken);
    }
}
