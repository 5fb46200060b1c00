using System;
using ModernMail.Delivery;
using ModernMail.Queue.Internal;

namespace ModernMail.Queue;

public sealed partial class QueueWorker
{
    private RecipientOutcome Decide(QueueLease lease, LeasedRecipient recipient, DeliveryResult? result, DateTimeOffset now, out string detail)
    {
        int attempts = recipient.Attempts + 1;
        if (result is null)
        {
            detail = "the transport returned no result for this recipient";
            return Defer(lease, recipient.Index, attempts, now, detail);
        }
        detail = RetrySchedule.Describe(result);
        if (result.Delivered)
        {
            return new RecipientOutcome(recipient.Index, RecipientState.Delivered, attempts, null, detail);
        }
        // The transport's classifier decided (with the stage the reply answered); the queue does not guess again.
        if (!result.IsTransient)
        {
            return new RecipientOutcome(recipient.Index, RecipientState.Bounced, attempts, null, detail);
        }
        // Traffic shaping held it back untried: not an attempt, and due exactly when the destination has room again.
        return result.RetryAfter is { } after
            ? Defer(lease, recipient.Index, recipient.Attempts, now, detail, after)
            : Defer(lease, recipient.Index, attempts, now, detail);
    }

    /// <summary>Deferred to <paramref name="notBefore"/> when given, else by the retry schedule; expired past the lifetime.</summary>
    private RecipientOutcome Defer(QueueLease lease, int index, int attempts, DateTimeOffset now, string detail, DateTimeOffset? notBefore = null)
    {
        if (now >= lease.ExpiresAt)
        {
            return new RecipientOutcome(index, RecipientState.Expired, attempts, null, detail);
        }
        DateTimeOffset next;
        if (notBefore is { } due)
        {
            next = due;
        }
        else
        {
            TimeSpan delay;
            lock (_randomLock)
            {
                delay = RetrySchedule.Delay(attempts, _options, _random);
            }
            next = now + delay;
        }
        // One last attempt exactly at the deadline rather than expiring a recipient that might have succeeded.
        return new RecipientOutcome(index, RecipientState.Deferred, attempts, next < lease.ExpiresAt ? next : lease.ExpiresAt, detail);
    }
}
