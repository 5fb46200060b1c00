namespace ModernMail.Deliverability;

/// <summary>One MX record: the preference and the exchange host name (without the trailing dot).</summary>
/// <param name="Preference">The preference; lower is tried first.</param>
/// <param name="Exchange">The exchange host name; "" (from ".") is a null MX (RFC 7505).</param>
public sealed record MxRecord(int Preference, string Exchange);
