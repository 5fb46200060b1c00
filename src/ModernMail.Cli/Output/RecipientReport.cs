using ModernMail.Delivery;

namespace ModernMail.Cli.Output;

/// <summary>One recipient's outcome as <c>send --json</c> prints it (one JSON object per line).</summary>
internal sealed record RecipientReport(
    string Recipient,
    bool Delivered,
    bool Transient,
    int? Code,
    string? EnhancedCode,
    string? Response,
    string? Mx,
    string? Tls,
    string? TlsCipher,
    string Stage,
    string? Category)
{
    public static RecipientReport From(DeliveryResult result) => new(
        result.Recipient.Address,
        result.Delivered,
        !result.Delivered && result.IsTransient,
        result.Reply?.Code,
        result.Reply?.Enhanced?.ToString(),
        ResponseText(result),
        result.MxHost,
        result.UsedTls ? result.TlsProtocol ?? "tls" : null,
        result.UsedTls ? result.TlsCipher : null,
        result.Stage.ToString(),
        result.Delivered ? null : result.Category.ToString());

    /// <summary>The server's reply text, or our own reason when there was no decisive reply.</summary>
    private static string? ResponseText(DeliveryResult result)
    {
        if (result.Reply is { } reply)
        {
            return reply.Text;
        }

        return result.Detail ?? result.Exception?.Message;
    }
}
