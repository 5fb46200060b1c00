namespace ModernMail.Deliverability;

/// <summary>How a DNS query ended; the doctor keeps "the record is missing" apart from "we could not ask".</summary>
public enum DnsOutcome
{
    /// <summary>The name exists and has records of the asked type.</summary>
    Success,

    /// <summary>The name exists but has no records of the asked type (NOERROR, empty answer).</summary>
    NoData,

    /// <summary>The name does not exist (RCODE 3, NXDOMAIN).</summary>
    NxDomain,

    /// <summary>No answer arrived in time.</summary>
    Timeout,

    /// <summary>The server answered SERVFAIL, REFUSED or another error code, or the answer was unusable.</summary>
    ServerFailure,
}
