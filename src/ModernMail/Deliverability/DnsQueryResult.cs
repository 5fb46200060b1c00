namespace ModernMail.Deliverability;

/// <summary>The outcome of one DNS query and, on success, its records.</summary>
/// <typeparam name="T">The record type: <see cref="string"/> for TXT, <see cref="System.Net.IPAddress"/> for A/AAAA, <see cref="MxRecord"/>, or a host name for PTR.</typeparam>
/// <param name="Outcome">How the query ended.</param>
/// <param name="Records">The records; empty unless <paramref name="Outcome"/> is <see cref="DnsOutcome.Success"/>.</param>
public sealed record DnsQueryResult<T>(DnsOutcome Outcome, IReadOnlyList<T> Records)
{
    /// <summary>True when the query failed for a reason that says nothing about the data (timeout, SERVFAIL).</summary>
    public bool IsError => Outcome is DnsOutcome.Timeout or DnsOutcome.ServerFailure;

    /// <summary>True when the name or the data does not exist (NXDOMAIN or NODATA).</summary>
    public bool IsMissing => Outcome is DnsOutcome.NxDomain or DnsOutcome.NoData;

    /// <summary>Creates a successful result, or NODATA when <paramref name="records"/> is empty.</summary>
    public static DnsQueryResult<T> FromRecords(IReadOnlyList<T> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        return new(records.Count == 0 ? DnsOutcome.NoData : DnsOutcome.Success, records);
    }

    /// <summary>Creates a result that carries no records.</summary>
    public static DnsQueryResult<T> FromOutcome(DnsOutcome outcome) => new(outcome, []);

    /// <summary>Describes the outcome for a person: "timeout", "SERVFAIL", "NXDOMAIN", "no records".</summary>
    public string Describe() => Outcome switch
    {
        DnsOutcome.Success => "ok",
        DnsOutcome.NoData => "no records of this type",
        DnsOutcome.NxDomain => "the name does not exist (NXDOMAIN)",
        DnsOutcome.Timeout => "DNS timeout",
        _ => "DNS server failure (SERVFAIL)",
    };
}
