using System;
using ModernMail.Delivery;

namespace ModernMail.Queue.Internal;

/// <summary>Decides what an attempt's result means for a recipient and when it is tried again.</summary>
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

    /// <summary>True when the result is worth retrying.</summary>
    /// <remarks>RFC 5321 §4.5.3.1.10: 552 to RCPT TO means "too many recipients" and must be treated as temporary (452).
    /// The transport does not say which command a reply answered, so every 552 is treated as temporary except
    /// X.3.4 "message too big for system" (RFC 3463), which is the permanent 552 after DATA.</remarks>
    public static bool IsTransient(DeliveryResult result)
    {
        if (result.Reply is { Code: 552 } reply)
        {
            return reply.Enhanced is not { Subject: 3, Detail: 4 };
        }
        return result.IsTransient;
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
