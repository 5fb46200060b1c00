using Microsoft.Extensions.Logging;

namespace ModernMail.Dkim.Internal;

/// <summary>Log messages of the DKIM workstream (event ids 3000-3099).</summary>
internal static partial class DkimLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "DKIM: {Warning}")]
    public static partial void SignWarning(ILogger logger, string warning);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "DKIM signed with d={Domain} s={Selector} a={Algorithm}")]
    public static partial void Signed(ILogger logger, string domain, string selector, string algorithm);
}
