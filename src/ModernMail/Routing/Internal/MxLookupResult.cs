namespace ModernMail.Routing.Internal;

/// <summary>What an MX query answered.</summary>
internal sealed record MxLookupResult(DnsLookupStatus Status, IReadOnlyList<MxRecord> Records, string? Error = null);
