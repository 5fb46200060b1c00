namespace ModernMail.Dns;

/// <summary>The outcome of one DNS query and, when records were found, the records.</summary>
/// <typeparam name="T">The record type: <see cref="string"/> for TXT and PTR, <see cref="System.Net.IPAddress"/> for A/AAAA, <see cref="MxRecord"/>.</typeparam>
/// <param name="Outcome">How the query ended.</param>
/// <param name="Records">The records; empty unless <paramref name="Outcome"/> is <see cref="DnsOutcome.Found"/>.</param>
public sealed record DnsQueryResult<T>(DnsOutcome Outcome, IReadOnlyList<T> Records)
{
    /// <summary>True when the query failed for a reason that says nothing about the data (timeout, SERVFAIL): ask again later.</summary>
    public bool IsTransient => Outcome is DnsOutcome.Timeout or DnsOutcome.ServerFailure;

    /// <summary>True when the name or the data does not exist (NXDOMAIN or NODATA).</summary>
    public bool IsMissing => Outcome is DnsOutcome.NoSuchDomain or DnsOutcome.NoRecords;

    /// <summary>
    /// True when the answer (the records, or the proof that there are none) was DNSSEC-validated: a resolver that the
    /// lookup is configured to trust as validating set the AD bit (RFC 4035 §3.2.3, RFC 6840 §5.8).
    /// </summary>
    /// <remarks>An AD bit from any other server is ignored (as Postfix trusts only the resolver it is told validates), so
    /// false means "insecure or unknown", never "proven bogus": a validating resolver answers bogus data with SERVFAIL.</remarks>
    public bool Authenticated { get; init; }

    /// <summary>Creates a result with records, or <see cref="DnsOutcome.NoRecords"/> when <paramref name="records"/> is empty.</summary>
    public static DnsQueryResult<T> FromRecords(IReadOnlyList<T> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        return new(records.Count == 0 ? DnsOutcome.NoRecords : DnsOutcome.Found, records);
    }

    /// <summary>Creates a result that carries no records.</summary>
    public static DnsQueryResult<T> FromOutcome(DnsOutcome outcome) => new(outcome, []);

    /// <summary>Describes the outcome for a person: "DNS timeout", "DNS server failure (SERVFAIL)", "the name does not exist (NXDOMAIN)".</summary>
    public string Describe() => Outcome switch
    {
        DnsOutcome.Found => "ok",
        DnsOutcome.NoRecords => "no records of this type",
        DnsOutcome.NoSuchDomain => "the name does not exist (NXDOMAIN)",
        DnsOutcome.Timeout => "DNS timeout",
        _ => "DNS server failure (SERVFAIL)",
    };
}
