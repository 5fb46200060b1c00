using System.Net;
using ModernMail.Tls;

namespace ModernMail.Dns;

/// <summary>
/// The DNS questions ModernMail asks (MX routing, DKIM key lookup, SPF and the deliverability doctor), with
/// NXDOMAIN, NODATA, timeout and SERVFAIL kept apart.
/// </summary>
/// <remarks>Implementations follow CNAMEs, return names without the trailing dot, report failures as outcomes, never as
/// exceptions, and say in <see cref="DnsQueryResult{T}.Authenticated"/> whether a trusted validating resolver vouched for
/// the answer (DNSSEC).</remarks>
public interface IDnsLookup
{
    /// <summary>Looks up the TXT records of <paramref name="name"/>; each record's character-strings are joined with nothing between them (RFC 7208 §3.3, RFC 6376 §3.6.2.2).</summary>
    Task<DnsQueryResult<string>> QueryTxtAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Looks up the IPv4 addresses (A) of <paramref name="name"/>.</summary>
    Task<DnsQueryResult<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Looks up the IPv6 addresses (AAAA) of <paramref name="name"/>.</summary>
    Task<DnsQueryResult<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Looks up the mail exchangers (MX) of <paramref name="name"/>.</summary>
    Task<DnsQueryResult<MxRecord>> QueryMxAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Looks up the host names (PTR) of <paramref name="address"/> under in-addr.arpa or ip6.arpa.</summary>
    Task<DnsQueryResult<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken = default);

    /// <summary>Looks up the TLSA records (RFC 6698) at <paramref name="name"/>, such as <c>_25._tcp.mx.example.com</c>.</summary>
    /// <remarks>DANE trusts them only when <see cref="DnsQueryResult{T}.Authenticated"/>; a record whose RDATA is too short to
    /// hold the three fields is left out.</remarks>
    Task<DnsQueryResult<TlsaRecord>> QueryTlsaAsync(string name, CancellationToken cancellationToken = default);
}
