namespace ModernMail.Dns;

/// <summary>One MX record: the preference and the exchange host name (without the trailing dot).</summary>
/// <param name="Preference">The preference; lower is tried first.</param>
/// <param name="Exchange">The exchange host name; "" (from ".") is a null MX (RFC 7505).</param>
public sealed record MxRecord(int Preference, string Exchange)
{
    /// <summary>True for the null MX "0 ." (RFC 7505): the domain accepts no mail.</summary>
    public bool IsNullMx => Exchange.Length == 0;
}
