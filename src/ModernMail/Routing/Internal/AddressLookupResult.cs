using System.Net;
using ModernMail.Dns;

namespace ModernMail.Routing.Internal;

/// <summary>What the A and AAAA queries for one mail exchanger answered together.</summary>
/// <param name="Outcome">Found when either query found addresses; otherwise NXDOMAIN, a transient failure, or NoRecords.</param>
/// <param name="Addresses">IPv4 addresses first, then IPv6.</param>
/// <param name="Error">Why there are no addresses, for the delivery result.</param>
internal sealed record AddressLookupResult(DnsOutcome Outcome, IReadOnlyList<IPAddress> Addresses, string? Error = null);
