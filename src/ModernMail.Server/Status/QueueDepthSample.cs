namespace ModernMail.Server.Status;

/// <summary>Recipients not yet final at one moment, by state, as the <c>modernmail.queue.recipients</c> gauge counted them.</summary>
internal sealed record QueueDepthSample(DateTimeOffset At, long Queued, long Delivering, long Deferred);
