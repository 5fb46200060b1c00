namespace ModernMail.Routing.Internal;

/// <summary>The DNS questions delivery asks; a seam so unit tests can answer without a DNS server.</summary>
internal interface IMxResolver
{
    /// <summary>Looks up the MX records of an ASCII (punycode) domain.</summary>
    Task<MxLookupResult> LookupMxAsync(string domain, CancellationToken cancellationToken);

    /// <summary>Looks up the A and AAAA records of a host (IPv4 first).</summary>
    Task<AddressLookupResult> LookupAddressesAsync(string host, CancellationToken cancellationToken);
}
