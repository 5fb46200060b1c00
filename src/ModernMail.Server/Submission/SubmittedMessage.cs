using ModernMail.Queue;

namespace ModernMail.Server.Submission;

/// <summary>A message durably queued by a front door: its queue id and its envelope recipients.</summary>
/// <param name="Id">The queue id.</param>
/// <param name="Recipients">The envelope recipients, in order.</param>
/// <param name="States">Each recipient's first state: queued, or suppressed (on the suppression list; never attempted).</param>
internal sealed record SubmittedMessage(string Id, IReadOnlyList<string> Recipients, IReadOnlyList<RecipientState> States);
