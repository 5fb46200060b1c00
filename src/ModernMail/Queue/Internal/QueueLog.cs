using System;
using Microsoft.Extensions.Logging;

namespace ModernMail.Queue.Internal;

/// <summary>The queue's log messages (EventIds 6000-6099).</summary>
internal static partial class QueueLog
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "Queue worker {Owner} started on {Store}")]
    public static partial void WorkerStarted(ILogger logger, string owner, string store);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Queue worker {Owner} stopped; {InFlight} deliveries were still running")]
    public static partial void WorkerStopped(ILogger logger, string owner, int inFlight);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "{MessageId} <{Recipient}>: {State} after {Attempts} attempt(s): {Detail}")]
    public static partial void RecipientUpdated(ILogger logger, string messageId, string recipient, RecipientState state, int attempts, string? detail);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Error, Message = "Queue store error; retrying in {Delay}")]
    public static partial void StoreError(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Error, Message = "Delivery of {MessageId} failed unexpectedly; its lease will expire and it will be retried")]
    public static partial void DeliveryCrashed(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "A queue event handler threw for {MessageId}")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Information, Message = "{MessageId}: bounce {BounceId} queued to <{Sender}> for {Count} recipient(s)")]
    public static partial void BounceQueued(ILogger logger, string messageId, string bounceId, string sender, int count);
}
