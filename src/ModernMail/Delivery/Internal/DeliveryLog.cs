using Microsoft.Extensions.Logging;

namespace ModernMail.Delivery.Internal;

/// <summary>Log messages of delivery (EventIds 4000-4099).</summary>
internal static partial class DeliveryLog
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "{Recipient}: delivered via {MxHost} (TLS: {UsedTls}) {Detail}")]
    public static partial void Delivered(ILogger logger, string recipient, string? mxHost, bool usedTls, string? detail);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "{Recipient}: not delivered ({Kind}) via {MxHost}: {Detail}")]
    public static partial void NotDelivered(ILogger logger, string recipient, string kind, string? mxHost, string? detail);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Debug, Message = "{Domain}: looking up its mail exchangers")]
    public static partial void Routing(ILogger logger, string domain);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Debug, Message = "{Domain}: attempt via {Peer} failed: {Reason}")]
    public static partial void AttemptFailed(ILogger logger, string domain, string peer, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "{Peer}: STARTTLS failed, reconnecting in clear text: {Reason}")]
    public static partial void TlsFallback(ILogger logger, string peer, string reason);
}
