using System;
using ModernMail.Delivery;

namespace ModernMail.Queue.Internal;

/// <summary>When a transient failure is tried again, and the text stored for an attempt.</summary>
/// <remarks>Whether to retry at all is the result's own <see cref="DeliveryResult.IsTransient"/>, decided by <see cref="DeliveryClassifier"/>.</remarks>
internal static class RetrySchedule
{
    /// <summary>The delay after the <paramref name="failedAttempts"/>-th transient failure: exponential from the first delay, capped, with jitter.</summary>
    /// <remarks>Jitter only lengthens the delay below the cap (never retry a greylister earlier than asked) and shortens it at the cap (never exceed it).</remarks>
    public static TimeSpan Delay(int failedAttempts, QueueOptions options, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempts, 1);
        double first = options.FirstRetryDelay.TotalMilliseconds;
        double cap = options.MaxRetryDelay.TotalMilliseconds;
        double baseDelay = first * Math.Pow(2, Math.Min(failedAttempts - 1, 30));
        double jitter = options.RetryJitter * random.NextDouble();
        double delay = baseDelay >= cap ? cap * (1 - Math.Min(jitter, 0.5)) : Math.Min(cap, baseDelay * (1 + jitter));
        return TimeSpan.FromMilliseconds(Math.Max(delay, first));
    }

    /// <summary>The text stored as the recipient's last reply.</summary>
    public static string Describe(DeliveryResult result)
    {
        string? host = result.MxHost is { Length: > 0 } mx ? " (" + mx + ")" : null;
        if (result.Reply is { } reply)
        {
            return reply.ToString() + host;
        }
        return (result.Detail ?? result.Exception?.Message ?? (result.Delivered ? "delivered" : "failed")) + host;
    }
}
