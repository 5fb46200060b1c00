namespace ModernMail.Tls;

/// <summary>How DANE (RFC 7672) is applied to SMTP deliveries.</summary>
public sealed class DaneOptions
{
    /// <summary>Whether TLSA records of MX hosts are looked up and honoured (default true; without a validating resolver nothing is authenticated, so DANE never applies).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// DNS servers, as "address" or "address:port", whose AD bit is trusted: DNSSEC-validating resolvers on a path the
    /// operator trusts, usually on the same host (as Postfix trusts the resolver its configuration says validates).
    /// </summary>
    /// <remarks>Only answers from these servers count as authenticated; they should also be among the broker's
    /// <see cref="BrokerConfig.DnsServers"/>, since those are the servers asked. Empty by default.</remarks>
    public IList<string> ValidatingResolvers { get; } = new List<string>();
}
