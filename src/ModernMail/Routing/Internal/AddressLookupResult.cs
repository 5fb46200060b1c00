using System.Net;

namespace ModernMail.Routing.Internal;

/// <summary>What A and AAAA queries for one host answered.</summary>
internal sealed record AddressLookupResult(DnsLookupStatus Status, IReadOnlyList<IPAddress> Addresses, string? Error = null);
