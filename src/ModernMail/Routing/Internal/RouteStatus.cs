namespace ModernMail.Routing.Internal;

/// <summary>Whether a domain can be delivered to, and if not, whether to retry.</summary>
internal enum RouteStatus
{
    /// <summary>Hosts to try were found.</summary>
    Ok,

    /// <summary>The domain will never accept this mail (NXDOMAIN, null MX, no address).</summary>
    Permanent,

    /// <summary>DNS failed; try again later.</summary>
    Transient,
}
