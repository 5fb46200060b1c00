using Microsoft.Extensions.Logging;

namespace ModernMail.Tls.Internal;

/// <summary>Log messages of TLS policy (event ids 8000-8099).</summary>
internal static partial class TlsLog
{
    [LoggerMessage(EventId = 8000, Level = LogLevel.Information, Message = "MTA-STS policy of {Domain}: mode {Mode}, id {Id}, max_age {MaxAge} s")]
    public static partial void PolicyFetched(ILogger logger, string domain, MtaStsMode mode, string id, long maxAge);

    [LoggerMessage(EventId = 8001, Level = LogLevel.Warning, Message = "MTA-STS policy of {Domain} not fetched ({Failure}): {Detail}; cached policy used: {UsedCache}")]
    public static partial void PolicyFetchFailed(ILogger logger, string domain, string failure, string detail, bool usedCache);
}
