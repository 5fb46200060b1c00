using System.Globalization;
using System.Net;
using ModernMail.Dns;

namespace ModernMail.Tls;

/// <summary>Looks up what DANE (RFC 7672) says about an MX host: its DNSSEC-authenticated TLSA records at <c>_25._tcp.HOST</c>.</summary>
/// <remarks>
/// <para>Order (RFC 7672 §2.2): the host's address records must be authenticated (A, or AAAA when there is no A), else
/// TLSA records are not looked up (<see cref="DaneStatus.Insecure"/>). Then the TLSA records: authenticated and at
/// least one usable → <see cref="DaneStatus.Usable"/>; authenticated, none usable → <see cref="DaneStatus.Unusable"/>;
/// an authenticated NXDOMAIN or NODATA → <see cref="DaneStatus.NoRecords"/>; not authenticated → ignored
/// (<see cref="DaneStatus.Insecure"/>); a failed lookup → <see cref="DaneStatus.Failed"/>, defer.</para>
/// <para>"Authenticated" is <see cref="DnsQueryResult{T}.Authenticated"/>: the AD bit from a resolver the configuration
/// marks as validating (<see cref="DaneOptions.ValidatingResolvers"/>, given to <see cref="DnsClientLookup.ValidatingServers"/>).</para>
/// <para>RFC 7672 §2.2.1 lets DANE apply even to MX hosts from an insecure MX lookup, so the MX lookup's security is the
/// caller's to note (it only widens DANE-TA name checks to the next-hop domain). The TLSA base domain is the MX host name
/// as given: CNAME-expanded names (§2.2.2) are not used.</para>
/// </remarks>
public sealed class DaneResolver
{
    private readonly IDnsLookup _dns;
    private readonly DaneOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates a resolver that asks <paramref name="dns"/>, the lookup MX routing uses.</summary>
    public DaneResolver(IDnsLookup dns, DaneOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(dns);
        _dns = dns;
        _options = options ?? new DaneOptions();
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Looks up the DANE status and TLSA records of <paramref name="mxHost"/> for <paramref name="port"/>.</summary>
    /// <param name="mxHost">The MX host name (ASCII, A-labels), with or without the trailing dot.</param>
    /// <param name="port">The SMTP port (25).</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <remarks>DNS failures are reported in the result (<see cref="DaneStatus.Failed"/>), never thrown.</remarks>
    public async Task<DaneLookup> LookupAsync(string mxHost, int port = 25, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(mxHost);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        string host = mxHost.TrimEnd('.').ToLowerInvariant();
        if (!_options.Enabled)
        {
            return Result(host, port, DaneStatus.Disabled, "DANE is disabled");
        }

        var address = await _dns.QueryAAsync(host, cancellationToken).ConfigureAwait(false);
        if (address.IsMissing)
        {
            var v6 = await _dns.QueryAaaaAsync(host, cancellationToken).ConfigureAwait(false);
            address = v6.IsMissing ? address : v6;
        }
        if (address.IsTransient)
        {
            return Result(host, port, DaneStatus.Failed, $"address lookup of {host} failed: {address.Describe()}");
        }
        if (address.IsMissing)
        {
            return Result(host, port, DaneStatus.Insecure, $"{host} has no address records");
        }
        if (!address.Authenticated)
        {
            return Result(host, port, DaneStatus.Insecure, $"the address records of {host} are not DNSSEC-authenticated, so its TLSA records are not used");
        }

        string name = string.Create(CultureInfo.InvariantCulture, $"_{port}._tcp.{host}");
        var tlsa = await _dns.QueryTlsaAsync(name, cancellationToken).ConfigureAwait(false);
        if (tlsa.IsTransient)
        {
            return Result(host, port, DaneStatus.Failed, $"TLSA lookup of {name} failed ({tlsa.Describe()}): the MX host is treated as unreachable");
        }
        if (!tlsa.Authenticated)
        {
            return Result(host, port, DaneStatus.Insecure, tlsa.IsMissing
                ? $"{name} has no TLSA records (not authenticated)"
                : $"the TLSA records of {name} are not DNSSEC-authenticated and are ignored");
        }
        if (tlsa.IsMissing)
        {
            return Result(host, port, DaneStatus.NoRecords, $"{name} has no TLSA records (authenticated denial)");
        }

        int usable = tlsa.Records.Count(r => r.IsUsable);
        return usable > 0
            ? new DaneLookup(host, port, DaneStatus.Usable, tlsa.Records, $"{usable} usable of {tlsa.Records.Count} authenticated TLSA records at {name}", _time)
            : new DaneLookup(host, port, DaneStatus.Unusable, tlsa.Records, $"none of the {tlsa.Records.Count} authenticated TLSA records at {name} is usable", _time);
    }

    private DaneLookup Result(string host, int port, DaneStatus status, string reason) => new(host, port, status, [], reason, _time);
}
