namespace ModernMail.Queue.Internal;

/// <summary>What a front door tells the store about a new message besides its envelope and bytes (see <see cref="QueueEntry"/>).</summary>
/// <param name="SenderDomain">The domain whose suppression list applies (the From domain); null for the envelope sender's.</param>
/// <param name="Annotations">The submitter's tags and metadata as one JSON object, copied into every event.</param>
/// <param name="TraceParent">The W3C traceparent of the submission.</param>
internal sealed record EntryDetails(string? SenderDomain, string? Annotations, string? TraceParent)
{
    public static EntryDetails None { get; } = new(null, null, null);

    /// <summary>The door the message came in by, for <c>modernmail.messages.submitted</c> (see <see cref="Diagnostics.MailTelemetry"/>).</summary>
    public string Door { get; init; } = Diagnostics.MailTelemetry.DoorQueue;
}
