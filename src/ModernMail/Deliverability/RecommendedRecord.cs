namespace ModernMail.Deliverability;

/// <summary>One DNS record to publish.</summary>
/// <param name="Name">The owner name, without the trailing dot.</param>
/// <param name="Type">The record type: TXT, A, AAAA, PTR.</param>
/// <param name="Value">The record data (for TXT, the text before splitting into 255-byte strings).</param>
/// <param name="Purpose">What the record is for, in a sentence.</param>
/// <param name="PublishedBy">Who publishes it: the domain's DNS, or the owner of the IP address for PTR.</param>
public sealed record RecommendedRecord(string Name, string Type, string Value, string Purpose, string PublishedBy);
