namespace ModernMail.Routing.Internal;

/// <summary>One MX record: the exchanger's host name (no trailing dot) and its preference.</summary>
internal sealed record MxRecord(string Host, int Preference);
