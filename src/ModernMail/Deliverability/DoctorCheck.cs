namespace ModernMail.Deliverability;

/// <summary>The result of one doctor check.</summary>
/// <param name="Area">What was checked: SPF, DKIM, DMARC, PTR, HELO, MX, MTA-STS, TLS-RPT.</param>
/// <param name="Status">PASS, WARN or FAIL.</param>
/// <param name="Summary">What was found, in a sentence.</param>
/// <param name="Fix">What to change, when something should change.</param>
/// <param name="Record">The DNS record the check is about, quoted as published.</param>
public sealed record DoctorCheck(string Area, CheckStatus Status, string Summary, string? Fix = null, string? Record = null);
