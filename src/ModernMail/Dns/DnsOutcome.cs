namespace ModernMail.Dns;

/// <summary>How a DNS query ended. Callers keep "the data is missing" (permanent) apart from "we could not ask" (transient).</summary>
public enum DnsOutcome
{
    /// <summary>The name exists and has records of the asked type.</summary>
    Found,

    /// <summary>The name exists but has no records of the asked type (NOERROR with an empty answer, "NODATA").</summary>
    NoRecords,

    /// <summary>The name does not exist (RCODE 3, NXDOMAIN).</summary>
    NoSuchDomain,

    /// <summary>No answer arrived in time; transient.</summary>
    Timeout,

    /// <summary>The server answered SERVFAIL, REFUSED or another error code, or could not be reached; transient.</summary>
    ServerFailure,
}
