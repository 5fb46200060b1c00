namespace ModernMail.Routing.Internal;

/// <summary>The outcome class of a DNS lookup, as delivery needs it.</summary>
internal enum DnsLookupStatus
{
    /// <summary>Records were found.</summary>
    Found,

    /// <summary>The name exists but has no records of the type asked (NODATA).</summary>
    NoRecords,

    /// <summary>The domain publishes a null MX (RFC 7505): it accepts no mail.</summary>
    NullMx,

    /// <summary>The name does not exist (NXDOMAIN): permanent.</summary>
    NoSuchDomain,

    /// <summary>SERVFAIL, timeout or another failure: transient.</summary>
    Failed,
}
