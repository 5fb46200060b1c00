using System.Net;

namespace ModernMail.Deliverability.Internal;

/// <summary>The mechanisms of RFC 7208 §5.</summary>
internal enum SpfMechanism
{
    All,
    Include,
    A,
    Mx,
    Ptr,
    Ip4,
    Ip6,
    Exists,
}

/// <summary>One directive of an SPF record: qualifier, mechanism and its arguments.</summary>
internal sealed record SpfDirective(
    SpfResult Qualifier, SpfMechanism Mechanism, string? DomainSpec, IPAddress? Network, int Prefix4, int Prefix6, string Text)
{
    /// <summary>True for the mechanisms that query DNS and count against the 10-lookup limit.</summary>
    public bool QueriesDns => Mechanism is SpfMechanism.Include or SpfMechanism.A or SpfMechanism.Mx or SpfMechanism.Ptr or SpfMechanism.Exists;
}
