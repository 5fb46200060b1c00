namespace ModernMail.Server.Submission;

/// <summary>A message durably queued by a front door: its queue id and its envelope recipients.</summary>
/// <param name="Id">The queue id.</param>
/// <param name="Recipients">The envelope recipients, in order.</param>
internal sealed record SubmittedMessage(string Id, IReadOnlyList<string> Recipients);
