using Microsoft.Extensions.Logging;

namespace ModernMail.PostgreSql.Internal;

/// <summary>Log lines of <see cref="PostgreSqlClusterLimits"/>.</summary>
internal static partial class ClusterLimitsLog
{
    [LoggerMessage(EventId = 1310, Level = LogLevel.Warning, Message = "Cluster connection slots for {Destination}: the database is unavailable ({Reason}); the node's own limit applies")]
    public static partial void Unavailable(ILogger logger, string destination, string reason);
}
