using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using ModernMail.Dns;

namespace ModernMail.Dkim;

/// <summary>Looks DKIM keys up in DNS: TXT at selector._domainkey.domain (RFC 6376 §3.6.2), through an <see cref="IDnsLookup"/>.</summary>
public sealed class DnsDkimKeyResolver : IDkimKeyResolver
{
    private readonly IDnsLookup _dns;

    /// <summary>Queries the system's DNS resolvers.</summary>
    public DnsDkimKeyResolver()
        : this(new DnsClientLookup())
    {
    }

    /// <summary>Queries the given DNS servers.</summary>
    /// <exception cref="ArgumentException">No server was given.</exception>
    public DnsDkimKeyResolver(params IPEndPoint[] servers)
        : this(new DnsClientLookup(Servers(servers)))
    {
    }

    /// <summary>Queries through <paramref name="dns"/>, for example the <see cref="DnsClientLookup"/> that MX routing and the doctor use.</summary>
    public DnsDkimKeyResolver(IDnsLookup dns)
    {
        ArgumentNullException.ThrowIfNull(dns);
        _dns = dns;
    }

    /// <inheritdoc />
    /// <exception cref="DkimKeyLookupException">The query timed out or the server failed (SERVFAIL, REFUSED); retry later.</exception>
    public async Task<IReadOnlyList<string>> GetKeyRecordsAsync(string selector, string domain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(selector);
        ArgumentNullException.ThrowIfNull(domain);
        string name = $"{selector}._domainkey.{domain.TrimEnd('.')}";
        DnsQueryResult<string> txt = await _dns.QueryTxtAsync(name, cancellationToken).ConfigureAwait(false);
        if (txt.IsTransient)
        {
            throw new DkimKeyLookupException($"DNS lookup of TXT {name} failed: {txt.Describe()}");
        }

        // NXDOMAIN and NODATA both mean "no key" (permerror for the verifier, §6.1.2 step 3).
        return txt.Records;
    }

    private static string[] Servers(IPEndPoint[] servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        if (servers.Length == 0)
        {
            throw new ArgumentException("At least one DNS server is required.", nameof(servers));
        }

        // IPEndPoint.ToString gives "a.b.c.d:port" or "[v6]:port", the forms DnsClientLookup reads.
        return servers.Select(s => s.ToString()).ToArray();
    }
}
