using System;
using ModernMail.Delivery;
using ModernMail.Tls;

namespace ModernMail.Queue;

/// <summary>The result of one attempt for one recipient, as written back to the store.</summary>
/// <param name="Index">The recipient's position in the envelope.</param>
/// <param name="State">The new state (delivered, deferred, bounced or expired).</param>
/// <param name="Attempts">The attempt count including this attempt.</param>
/// <param name="NextAttemptAt">When to try again (deferred only).</param>
/// <param name="LastReply">The reply or error text.</param>
public sealed record RecipientOutcome(int Index, RecipientState State, int Attempts, DateTimeOffset? NextAttemptAt, string? LastReply)
{
    /// <summary>The mail exchanger that answered this attempt, if one was reached.</summary>
    public string? MxHost { get; init; }

    /// <summary>The TLS protocol and cipher of the attempt, or null for clear text or no connection.</summary>
    public string? Tls { get; init; }

    /// <summary>The recipient domain's TLS policy that applied to the attempt.</summary>
    public AppliedTlsPolicy TlsPolicy { get; init; }

    /// <summary>Why the recipient was not delivered; <see cref="BounceCategory.None"/> when it was. A bounce of category
    /// <see cref="BounceCategory.InvalidRecipient"/> or <see cref="BounceCategory.BadDomain"/> suppresses the address.</summary>
    public BounceCategory Category { get; init; }
}
