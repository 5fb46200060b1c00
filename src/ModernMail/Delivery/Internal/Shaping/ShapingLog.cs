using Microsoft.Extensions.Logging;

namespace ModernMail.Delivery.Internal.Shaping;

/// <summary>Every change of a destination's limits, logged (category ModernMail.Delivery).</summary>
internal static partial class ShapingLog
{
    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Shaping {Destination}: slowed down to {Factor:P0} of its limits after: {Reply}")]
    public static partial void SlowedDown(ILogger logger, string destination, double factor, string reply);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "Shaping {Destination}: suspended until {Until:u} after: {Reply}")]
    public static partial void Suspended(ILogger logger, string destination, DateTimeOffset until, string reply);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Information, Message = "Shaping {Destination}: suspension over")]
    public static partial void Resumed(ILogger logger, string destination);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Information, Message = "Shaping {Destination}: back to its full limits")]
    public static partial void Recovered(ILogger logger, string destination);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Debug, Message = "Shaping {Destination}: deferred {Recipients} recipient(s) until {Until:u}: {Reason}")]
    public static partial void HeldBack(ILogger logger, string destination, int recipients, DateTimeOffset until, string reason);
}
