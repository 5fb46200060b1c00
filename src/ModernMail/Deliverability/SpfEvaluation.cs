namespace ModernMail.Deliverability;

/// <summary>What an SPF evaluation found: the result and why.</summary>
/// <param name="Result">The check_host() result.</param>
/// <param name="Reason">A sentence naming what decided the result ("matched ip4:192.0.2.0/24", "two SPF records").</param>
/// <param name="Record">The SPF record of the checked domain, when one was found.</param>
/// <param name="Explanation">For <see cref="SpfResult.Fail"/>, the domain's explanation from its exp= modifier; null for the default.</param>
/// <param name="DnsLookups">How many DNS-querying terms were evaluated (the limit is 10).</param>
/// <param name="VoidLookups">How many of those queries returned no records (the limit is 2).</param>
public sealed record SpfEvaluation(SpfResult Result, string Reason, string? Record, string? Explanation, int DnsLookups, int VoidLookups);
