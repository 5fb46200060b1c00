using Microsoft.Extensions.Logging;

namespace ModernMail.Server.Internal;

/// <summary>The server's log messages (EventIds 7000-7099). Secrets are never logged: keys appear by name only.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "{MessageId} queued for key {KeyName}: {Count} recipient(s)")]
    public static partial void MessageQueued(ILogger logger, string messageId, string keyName, int count);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Error, Message = "The store failed; the request was answered 503")]
    public static partial void StoreFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path}; answered 500 (trace {TraceId})")]
    public static partial void Unhandled(ILogger logger, Exception exception, string method, string path, string traceId);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Refused {Method} {Path}: {Reason}")]
    public static partial void Refused(ILogger logger, string method, string path, string reason);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Information, Message = "Authentication failed from {Remote}: {Reason}")]
    public static partial void AuthenticationFailed(ILogger logger, string? remote, string reason);

    [LoggerMessage(EventId = 7010, Level = LogLevel.Debug, Message = "SMTP connection from {Remote} lost: {Reason}")]
    public static partial void SmtpConnectionLost(ILogger logger, string remote, string reason);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Error, Message = "SMTP session from {Remote} failed; answered 421")]
    public static partial void SmtpSessionFailed(ILogger logger, Exception exception, string remote);

    [LoggerMessage(EventId = 7012, Level = LogLevel.Information, Message = "SMTP TLS handshake with {Remote} failed: {Reason}")]
    public static partial void SmtpTlsFailed(ILogger logger, string remote, string reason);

    [LoggerMessage(EventId = 7013, Level = LogLevel.Warning, Message = "SMTP accept failed: {Reason}")]
    public static partial void SmtpAcceptFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 7014, Level = LogLevel.Warning, Message = "SMTP connection refused: {Limit} connections are open (Smtp:MaxConnections)")]
    public static partial void SmtpConnectionRefused(ILogger logger, int limit);

    [LoggerMessage(EventId = 7020, Level = LogLevel.Warning, Message = "Webhook {Url}: event {EventId} not accepted ({Reason}); retrying in {Delay}")]
    public static partial void WebhookRetry(ILogger logger, string url, string eventId, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 7021, Level = LogLevel.Error, Message = "Webhook {Url}: event {EventId} skipped after failing for {Duration}: {Reason}")]
    public static partial void WebhookSkipped(ILogger logger, string url, string eventId, TimeSpan duration, string reason);

    [LoggerMessage(EventId = 7022, Level = LogLevel.Error, Message = "Webhook {Url}: the store failed; trying again shortly")]
    public static partial void WebhookStoreFailed(ILogger logger, Exception exception, string url);

    [LoggerMessage(EventId = 7023, Level = LogLevel.Information, Message = "Webhook {Url}: delivering from this node")]
    public static partial void WebhookClaimed(ILogger logger, string url);

    [LoggerMessage(EventId = 7030, Level = LogLevel.Warning, Message = "Inbound report dropped: {Reason}")]
    public static partial void InboundDropped(ILogger logger, string reason);

    [LoggerMessage(EventId = 7031, Level = LogLevel.Information, Message = "Inbound report for {MessageId}: {Type} ({Detail})")]
    public static partial void InboundRecorded(ILogger logger, string messageId, string type, string detail);
}
