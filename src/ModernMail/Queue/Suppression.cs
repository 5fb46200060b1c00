using System;

namespace ModernMail.Queue;

/// <summary>An address the queue will not send to: for one sender domain, or for every sender (<see cref="GlobalScope"/>).</summary>
/// <param name="Address">The recipient address (matched case-insensitively).</param>
/// <param name="Scope">The lower-case sender domain whose mail is suppressed, or <see cref="GlobalScope"/>.</param>
/// <param name="Reason">Why it was added.</param>
/// <param name="CreatedAt">When it was added.</param>
public sealed record Suppression(string Address, string Scope, SuppressionReason Reason, DateTimeOffset CreatedAt)
{
    /// <summary>The scope that suppresses the address for every sender domain.</summary>
    public const string GlobalScope = "*";

    /// <summary>The message whose bounce, complaint or unsubscribe added it, if any.</summary>
    public string? MessageId { get; init; }

    /// <summary>The reply or note that explains it.</summary>
    public string? Detail { get; init; }
}
